using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class StartupChecks
{
    /// <summary>
    /// Runs the service; a configuration error (a missing or malformed required variable) ends the
    /// process with exit code 1 and one line per problem instead of a stack trace.
    /// </summary>
    public static async Task<int> RunServiceAsync(this WebApplication app, Func<WebApplication, Task>? beforeStart = null)
    {
        // Read before running: RunAsync disposes the app, and with it the environment.
        var applicationName = app.Environment.ApplicationName;
        try
        {
            if (beforeStart is not null)
            {
                await beforeStart(app);
            }

            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"{applicationName} cannot start: its configuration is invalid.");
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}");
            }

            return 1;
        }
    }
}
