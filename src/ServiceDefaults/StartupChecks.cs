using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
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
            // Validate before beforeStart (the database file lock): a misconfigured service touches nothing.
            app.Services.GetService<IStartupValidator>()?.Validate();
            if (beforeStart is not null)
            {
                await beforeStart(app);
            }

            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (ConfigurationFailures(ex) is { Count: > 0 } failures)
        {
            await Console.Error.WriteLineAsync($"{applicationName} cannot start: its configuration is invalid.");
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}");
            }

            return 1;
        }
        catch (Exception ex) when (StartupRefusal(ex) is { } refusal)
        {
            await Console.Error.WriteLineAsync($"{applicationName} cannot start: {refusal}");
            return 1;
        }
    }

    /// <summary>
    /// The key in <see cref="Exception.Data"/> of an exception that refuses the start for a reason an operator
    /// must fix (e.g. a second process on one SQLite file; Platform's SqliteFileLock.StartupRefusal): its
    /// message is printed as one line, without a stack trace.
    /// </summary>
    public const string StartupRefusalKey = "PuffinOffset.StartupRefusal";

    public static string? StartupRefusal(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current.Data.Contains(StartupRefusalKey))
            {
                return current.Message;
            }

            if (current is AggregateException { InnerExceptions: var inner } && inner.Select(StartupRefusal).FirstOrDefault(m => m is not null) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// ValidateOnStart throws one <see cref="OptionsValidationException"/>, or an AggregateException of
    /// them when several options types are invalid; either way every failure is listed.
    /// </summary>
    public static IReadOnlyList<string> ConfigurationFailures(Exception exception) => exception switch
    {
        OptionsValidationException invalid => [.. invalid.Failures],
        AggregateException aggregate when aggregate.InnerExceptions.All(inner => inner is OptionsValidationException) =>
            [.. aggregate.InnerExceptions.Cast<OptionsValidationException>().SelectMany(invalid => invalid.Failures)],
        _ => [],
    };
}
