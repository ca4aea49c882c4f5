using System.Security.Cryptography;
using System.Text;

namespace PuffinOffset.TestSupport;

/// <summary>
/// Fulfillment's refund check as the deployment wires it, for clusters of service processes: the Api lists the SHA-256
/// of Fulfillment's service key (<c>SERVICE_API_KEYS_FILE</c>) and Fulfillment asks every Api replica in turn
/// (<c>API_INTERNAL_URLS</c>, <c>API_SERVICE_KEY</c>). Without it, Fulfillment refuses to start in Production on PostgreSQL.
/// </summary>
public static class RefundCheckWiring
{
    public const string ServiceKey = "fulfillment-TESTONLY-cluster-0123456789abcdef";

    /// <param name="keysFile">Where the Api's key list is written.</param>
    /// <param name="apiPorts">The Api replicas' ports (fixed for the cluster's life: a restarted replica keeps its port).</param>
    public static void Apply(IDictionary<string, string> api, IDictionary<string, string> fulfillment, string keysFile, IEnumerable<int> apiPorts)
    {
        File.WriteAllText(keysFile, $"fulfillment {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ServiceKey)))}\n");
        api["SERVICE_API_KEYS_FILE"] = keysFile;
        fulfillment["API_INTERNAL_URLS"] = string.Join(",", apiPorts.Select(port => $"http://127.0.0.1:{port}"));
        fulfillment["API_SERVICE_KEY"] = ServiceKey;
    }
}
