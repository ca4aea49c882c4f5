using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// The environment examples list every variable the services read, and nothing they do not. What the services
/// read is found in their code: every variable name written as a string in the Api, Fulfillment and their shared
/// libraries, the <c>*_FILE</c> form of each secret, the connection strings they ask for, and every property of an
/// options class bound from a section (<c>Outbox__PollInterval</c>).
/// </summary>
public sealed partial class EnvironmentExampleTests
{
    private static readonly string[] ServiceSources = ["src/Api", "src/Fulfillment", "src/Messaging", "src/Platform", "src/ServiceDefaults"];

    /// <summary>Read by the AppHost or the sandboxes it runs, which .env.example also configures.</summary>
    private static readonly string[] HostSources = ["src/AppHost", "src/StripeSandbox", "src/WrenSandbox"];

    /// <summary>Read by ASP.NET Core, .NET's logging or OpenTelemetry's SDK, and documented on purpose.</summary>
    private static readonly string[] FrameworkVariables =
        ["ASPNETCORE_ENVIRONMENT", "ASPNETCORE_URLS", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "Logging__Console__FormatterName"];

    [Theory]
    [InlineData(".env.example")]
    [InlineData("deploy/puffin-offset.env.example deploy/api.env.example deploy/fulfillment.env.example")]
    public void The_example_lists_every_variable_the_services_read(string example)
    {
        var missing = ServiceVariables().Except(Documented(example)).Order().ToList();

        Assert.True(missing.Count == 0, $"{example} does not mention: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData(".env.example")]
    [InlineData("deploy/puffin-offset.env.example deploy/api.env.example deploy/fulfillment.env.example")]
    public void The_example_lists_no_variable_that_nothing_reads(string example)
    {
        var known = ServiceVariables().Concat(Literals(HostSources)).Concat(FrameworkVariables).ToHashSet(StringComparer.Ordinal);

        var stale = Documented(example).Where(v => !known.Contains(v)).Order().ToList();

        Assert.True(stale.Count == 0, $"{example} mentions variables nothing reads: {string.Join(", ", stale)}");
    }

    [Fact]
    public void The_scan_finds_variables_of_each_kind()
    {
        var variables = ServiceVariables();

        Assert.Superset(new HashSet<string>
        {
            "STRIPE_SECRET_KEY", "WREN_MAX_CONCURRENCY", "MANAGEMENT_URLS", "ADMIN_API_KEYS_FILE", "OTEL_SERVICE_NAME",
            "ADMIN_API_KEY_FILE", "ConnectionStrings__orders", "ConnectionStrings__messaging",
            "Outbox__PollInterval", "MessageRetention__Inbox", "Fulfillment__RetryDelays",
        }, variables);
    }

    private static HashSet<string> ServiceVariables()
    {
        var variables = Literals(ServiceSources);
        variables.UnionWith(SecretFiles.Names.Select(name => name + SecretFiles.Suffix));
        variables.Add($"ConnectionStrings__{MessagingServiceCollectionExtensions.ConnectionStringName}");
        foreach (var file in SourceFiles(ServiceSources))
        {
            // AddServiceDatabase<…>("DATABASE_PATH", default, "orders"): the last argument names the connection string.
            foreach (Match match in ServiceDatabaseCall().Matches(File.ReadAllText(file)))
            {
                variables.Add($"ConnectionStrings__{match.Groups["name"].Value}");
            }
        }

        Assembly[] assemblies = [typeof(ApiEntryPoint).Assembly, typeof(FulfillmentEntryPoint).Assembly, typeof(MessagingServiceCollectionExtensions).Assembly];
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.GetValue(null) is string section)
            {
                variables.UnionWith(type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .Where(p => p.SetMethod is { IsPublic: true }).Select(p => $"{section}__{p.Name}"));
            }
        }

        return variables;
    }

    /// <summary>Every whole string literal shaped like an environment variable (<c>"WREN_DRY_RUN"</c>).</summary>
    private static HashSet<string> Literals(string[] folders) =>
        SourceFiles(folders).SelectMany(file => VariableLiteral().Matches(File.ReadAllText(file)).Select(m => m.Groups["name"].Value))
            .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> SourceFiles(string[] folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                           && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                           && !file.Contains("Migrations", StringComparison.Ordinal));

    /// <summary>The variables an example sets or shows commented out (<c># NAME=value</c>); <c>X__0</c> is the list <c>X</c>.</summary>
    /// <summary>The variables an example sets or shows; several files (space-separated) read as one: deploy/ splits
    /// the settings into a shared file and one per service.</summary>
    private static HashSet<string> Documented(string example) =>
        example.Split(' ').SelectMany(file => File.ReadLines(Path.Combine(RepositoryRoot(), file)))
            .Select(line => Assignment().Match(line)).Where(m => m.Success)
            .Select(m => ListIndex().Replace(m.Groups["name"].Value, ""))
            .ToHashSet(StringComparer.Ordinal);

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "PuffinOffset.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("PuffinOffset.sln not found above the test binaries.");
    }

    [GeneratedRegex("\"(?<name>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\"")]
    private static partial Regex VariableLiteral();

    [GeneratedRegex("""AddServiceDatabase<[^>]+>\([^;]*"(?<name>\w+)"\s*\)""")]
    private static partial Regex ServiceDatabaseCall();

    [GeneratedRegex(@"^\s*#?\s*(?<name>[A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"__\d+$")]
    private static partial Regex ListIndex();
}
