using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace PuffinOffset.Api.Tests.Observability;

/// <summary>Traces, metrics and logs name their service, version and instance: never <c>unknown_service:dotnet</c>.</summary>
[Trait("Engine", "Neutral")]
public sealed class ServiceResourceTests
{
    [Fact]
    public void By_default_the_service_is_named_after_itself_with_a_version_and_an_instance()
    {
        var attributes = ResourceOf(new());

        Assert.Equal("api", attributes["service.name"]);
        Assert.False(string.IsNullOrEmpty(attributes["service.version"]));
        Assert.Equal($"{Environment.MachineName}:{Environment.ProcessId}", attributes["service.instance.id"]);
    }

    [Fact]
    public void OTEL_SERVICE_NAME_and_an_instance_id_in_OTEL_RESOURCE_ATTRIBUTES_win()
    {
        var attributes = ResourceOf(new()
        {
            ["OTEL_SERVICE_NAME"] = "puffin-api-eu",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=api-7f3a,deployment.environment=prod",
        });

        Assert.Equal("puffin-api-eu", attributes["service.name"]);
        Assert.Equal("api-7f3a", attributes["service.instance.id"]);
    }

    private static Dictionary<string, string> ResourceOf(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "Api" });
        builder.Configuration.AddInMemoryCollection(settings);
        // The SDK reads OTEL_RESOURCE_ATTRIBUTES from configuration too (its environment detector).
        builder.ConfigureOpenTelemetry();
        using var host = builder.Build();
        var resource = host.Services.GetRequiredService<TracerProvider>().GetResource();
        return resource.Attributes.ToDictionary(a => a.Key, a => a.Value.ToString() ?? "");
    }
}
