using System.Text.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>
/// `dotnet run --project src/AppHost -- --publisher manifest --output-path DIR`: what deployment tools
/// read. Production runs on PostgreSQL, with RabbitMQ, and never with a sandbox.
/// </summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task The_manifest_has_PostgreSQL_RabbitMQ_and_both_services_and_no_sandbox()
    {
        using var output = new TempFolder();
        var appHost = Projects.AppHost.ProjectPath;
        var outcome = await ServiceProcess.RunUntilExitAsync(
            Path.Combine(appHost, "bin", Configuration, "net10.0", "AppHost.dll"),
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" },
            TimeSpan.FromMinutes(2),
            "--publisher", "manifest", "--output-path", output.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Output);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.Path, "aspire-manifest.json")));
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("type").GetString());

        Assert.StartsWith("container.", resources["postgres"]);
        Assert.Equal("value.v0", resources["orders-db"]);
        Assert.Equal("value.v0", resources["fulfillment-db"]);
        Assert.Equal("project.v0", resources["api"]);
        Assert.Equal("project.v0", resources["fulfillment"]);
        Assert.Contains(resources.Keys, name => name == "messaging");
        Assert.DoesNotContain(resources.Keys, name => name.Contains("sandbox", StringComparison.Ordinal));

        var api = manifest.RootElement.GetProperty("resources").GetProperty("api").GetProperty("env");
        Assert.Equal("postgres", api.GetProperty("DATABASE_PROVIDER").GetString());
        Assert.Equal("{orders-db.connectionString}", api.GetProperty("ConnectionStrings__orders").GetString());
        var fulfillment = manifest.RootElement.GetProperty("resources").GetProperty("fulfillment").GetProperty("env");
        Assert.Equal("{fulfillment-db.connectionString}", fulfillment.GetProperty("ConnectionStrings__fulfillment").GetString());
        Assert.False(api.TryGetProperty("STRIPE_API_BASE", out _), "no sandbox address in a published Api");

        // A broker a deployment tool can deploy, and nothing of the publishing machine: no script, path, port or
        // default credentials (credentials are parameters the deployment fills in).
        Assert.StartsWith("container.", resources["messaging"]);
        Assert.Equal("{messaging.connectionString}", api.GetProperty("ConnectionStrings__messaging").GetString());
        // A project's "path" is its project file relative to the manifest (what a deployment tool builds): never rooted.
        var projectPaths = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Where(r => r.Value.TryGetProperty("path", out _)).Select(r => r.Value.GetProperty("path").GetString()!).ToList();
        Assert.All(projectPaths, path => Assert.False(Path.IsPathRooted(path), path));
        var text = projectPaths.Aggregate(manifest.RootElement.GetRawText(), (all, path) => all.Replace(path, "", StringComparison.Ordinal));
        Assert.DoesNotContain("executable.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("rabbitmq-local.sh", text, StringComparison.Ordinal);
        Assert.DoesNotContain(RepositoryRoot(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("guest:guest", text, StringComparison.Ordinal);
        Assert.DoesNotContain("localhost", text, StringComparison.Ordinal);
        Assert.Equal("{frontend-url.value}", api.GetProperty("FRONTEND_URL").GetString());
        Assert.Equal("{admin-api-key.value}", api.GetProperty("ADMIN_API_KEY").GetString());
        Assert.Contains(resources, r => r.Value == "parameter.v0" && r.Key.Contains("password", StringComparison.Ordinal));
    }

    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(Projects.AppHost.ProjectPath, "..", ".."));

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
