using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;

namespace PuffinOffset.Fulfillment.Wren;

public static class WrenClientRegistration
{
    public static IServiceCollection AddWrenClient(this IServiceCollection services)
    {
        services.AddSingleton<WrenNoteLookups>(); // one per process: lookups share reads across every WrenClient
#pragma warning disable EXTEXP0001 // Evaluation API, but the supported way to opt one client out of ConfigureHttpClientDefaults.
        services.AddHttpClient<WrenClient>((provider, http) =>
            {
                var wren = provider.GetRequiredService<IOptions<WrenOptions>>().Value;
                // A trailing slash keeps a base path (e.g. a proxy prefix) when the relative paths are appended.
                http.BaseAddress = new Uri(wren.ApiBase.ToString().TrimEnd('/') + "/");
                http.Timeout = provider.GetRequiredService<IOptions<FulfillmentOptions>>().Value.WrenTimeout;
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", wren.ApiToken);
                http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            })
            // The default resilience pipeline would add its own timeouts and circuit breaker; a Wren
            // attempt is one request with one explicit timeout, and the worker owns every retry.
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return services;
    }
}
