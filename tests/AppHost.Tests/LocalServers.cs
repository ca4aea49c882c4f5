using System.Net;
using System.Net.Sockets;

namespace PuffinOffset.AppHost.Tests;

/// <summary>What the tests of the AppHost's own servers (rabbitmq-server, postgres) look at from outside.</summary>
internal static class LocalServers
{
    /// <summary>Where the AppHost keeps a local server's data: the repository's .local/{kind}/{instance}.</summary>
    public static string DataFolder(string kind, string instance) => Path.Combine(RepositoryRoot(), ".local", kind, instance);

    public static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "PuffinOffset.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("PuffinOffset.sln not found above the test binaries.");
    }
}
