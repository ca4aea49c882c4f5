using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Secrets may come from files (<c>STRIPE_SECRET_KEY_FILE=/run/credentials/…</c>): the Docker secrets and
/// systemd <c>LoadCredential</c> convention, which keeps secrets out of the environment, where
/// <c>/proc/PID/environ</c>, crash dumps and child processes would see them. The file's content becomes
/// the variable's value, so the rest of the service reads one name.
/// </summary>
public static class SecretFiles
{
    public const string Suffix = "_FILE";

    /// <summary>
    /// Every credential the services read, as environment variables spell them. The connection strings carry
    /// the database's and the broker's passwords (a PostgreSQL one may instead name a libpq passfile with
    /// Npgsql's own <c>Passfile=</c> keyword).
    /// </summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "WREN_API_TOKEN", "ADMIN_API_KEY", "API_SERVICE_KEY",
        "ConnectionStrings__orders", "ConnectionStrings__fulfillment", "ConnectionStrings__messaging",
    ];

    public static TBuilder AddSecretFiles<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var values = new Dictionary<string, string?>();
        var failures = new List<string>();
        foreach (var name in Names)
        {
            // ConnectionStrings__orders_FILE is the configuration key ConnectionStrings:orders_FILE.
            var key = name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            if (builder.Configuration[key + Suffix] is not { Length: > 0 } path)
            {
                continue;
            }

            if (!string.IsNullOrEmpty(builder.Configuration[key]))
            {
                failures.Add($"{name} and {name}{Suffix} are both set: give the secret one way only.");
                continue;
            }

            try
            {
                // Editors and `echo` end files with a newline that is no part of the secret.
                values[key] = File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{name}{Suffix} names a file that cannot be read ({path}): {ex.Message}");
            }
        }

        builder.Configuration.AddInMemoryCollection(values);
        // Reported with every other configuration failure when the service starts.
        builder.Services.AddOptions<SecretFileOptions>().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SecretFileOptions>>(new SecretFileValidator(failures));
        return builder;
    }

    private sealed class SecretFileOptions;

    private sealed class SecretFileValidator(IReadOnlyList<string> failures) : IValidateOptions<SecretFileOptions>
    {
        public ValidateOptionsResult Validate(string? name, SecretFileOptions options) =>
            failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
