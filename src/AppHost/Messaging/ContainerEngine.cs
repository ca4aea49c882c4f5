using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace PuffinOffset.AppHost.Messaging;

/// <summary>Whether the container engine Aspire would use is actually there (a CLI without a daemon is not).</summary>
internal static class ContainerEngine
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Aspire uses docker unless <c>ASPIRE_CONTAINER_RUNTIME</c> says otherwise (e.g. podman).</summary>
    public static string Runtime(IConfiguration configuration) =>
        configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";

    public static bool Answers(IConfiguration configuration)
    {
        var start = new ProcessStartInfo(Runtime(configuration), "info")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(AnswerTimeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false; // no such CLI
        }
    }
}
