using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>
/// <c>MANAGEMENT_URLS</c>: the admin API and console, <c>/metrics</c>, <c>/health</c> and <c>/alive</c> answer only
/// on the management listener; the public listener answers 404 for them (in any letter case) and serves the rest.
/// </summary>
public sealed class ManagementListenerTests : AdminTestBase
{
    private readonly int _managementPort = FreePort();

    private static readonly string[] ManagementPaths =
        ["/api/admin/orders", "/api/Admin/orders", "/API/ADMIN/overview", "/admin", "/ADMIN", "/admin/console.js", "/metrics", "/health", "/alive"];

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["MANAGEMENT_URLS"] = $"http://127.0.0.1:{_managementPort}";
    }

    [Fact]
    public async Task Management_endpoints_are_404_on_the_public_listener_even_with_the_admin_key()
    {
        Assert.NotEqual(_managementPort, Admin.BaseAddress!.Port);
        foreach (var path in ManagementPaths)
        {
            using var response = await Admin.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} on the public listener answered {(int)response.StatusCode}");
        }

        using var publicEndpoint = await Admin.GetAsync("/api/portfolios");
        Assert.Equal(HttpStatusCode.OK, publicEndpoint.StatusCode);
    }

    [Fact]
    public async Task Management_endpoints_work_on_the_management_listener()
    {
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_managementPort}") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        foreach (var path in ManagementPaths)
        {
            using var response = await management.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} on the management listener answered {(int)response.StatusCode}");
        }

        management.DefaultRequestHeaders.Authorization = null;
        using var unauthenticated = await management.GetAsync("/api/admin/orders");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
