using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>The dashboard's "Replay failed fulfilments" command on the api resource.</summary>
[Collection(SystemWithOwnBroker.Name)]
public sealed class ReplayCommandTests(SystemWithOwnBroker shared)
{
    private const string CommandName = "replay-failed-fulfilments";

    [Fact]
    public async Task The_api_resource_has_the_command_with_a_configured_or_a_generated_admin_key()
    {
        Assert.Equal(["Replay failed fulfilments"], await CommandsAsync("ADMIN_API_KEY=admin-TESTONLY-apphost-0123456789abcdef"));
        Assert.Equal(["Replay failed fulfilments"], await CommandsAsync());
    }

    [Fact]
    public async Task Without_a_configured_admin_key_each_run_generates_a_long_secret_one_for_the_console()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:5672/"]);
        var key = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "admin-api-key");
        Assert.True(key.Secret);
        var value = await key.GetValueAsync(CancellationToken.None);
        Assert.True(value is { Length: >= 32 }, "a generated admin key of at least 32 characters");

        await using var configured = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:5672/", "ADMIN_API_KEY=admin-TESTONLY-apphost-0123456789abcdef"]);
        Assert.Equal("admin-TESTONLY-apphost-0123456789abcdef",
            await configured.Resources.OfType<ParameterResource>().Single(p => p.Name == "admin-api-key").GetValueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_command_calls_the_Api_admin_replay_with_the_key_and_reports_how_many()
    {
        await shared.System.WaitUntilHealthyAsync("api");

        var result = await shared.System.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("api", CommandName);

        Assert.True(result.Success, result.Message);
        Assert.Equal("Replay requested for 0 failed fulfilment(s).", result.Message);
    }

    private static async Task<string[]> CommandsAsync(params string[] settings)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:5672/", .. settings]);
        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");
        return api.Annotations.OfType<ResourceCommandAnnotation>().Where(c => c.Name == CommandName).Select(c => c.DisplayName).ToArray();
    }
}
