using System.Security.Cryptography;
using System.Text;

namespace PuffinOffset.AppHost;

/// <summary>
/// Before a delayed purchase Fulfillment asks the Api whether the order was refunded (docs/fulfillment.md, "The refund
/// check"): it finds the Api by service discovery and authenticates with a service key, whose SHA-256 the Api lists in
/// <c>SERVICE_API_KEYS_FILE</c>. The key is generated per run unless configured (<c>API_SERVICE_KEY</c> or
/// <c>Parameters:api-service-key</c>); a published manifest asks for the key and the Api's key file.
/// </summary>
internal static class RefundCheckWiring
{
    public static IResourceBuilder<ProjectResource> WithRefundCheckOf(this IResourceBuilder<ProjectResource> fulfillment,
        IResourceBuilder<ProjectResource> api, IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var key = ServiceVariables.Configured(config, "Parameters:api-service-key") ?? ServiceVariables.Configured(config, "API_SERVICE_KEY")
                  ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        fulfillment.WithReference(api)
            .WithEnvironment("API_INTERNAL_URLS", "http://api")
            .WithEnvironment("API_SERVICE_KEY", builder.AddParameter("api-service-key", key, secret: true));
        if (!builder.ExecutionContext.IsRunMode)
        {
            api.WithEnvironment("SERVICE_API_KEYS_FILE", builder.AddParameter("service-api-keys-file"));
            return fulfillment;
        }

        var file = RepositoryPaths.Local(builder, "data", "service-keys");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, $"fulfillment {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}\n");
        api.WithEnvironment("SERVICE_API_KEYS_FILE", file);
        return fulfillment;
    }
}
