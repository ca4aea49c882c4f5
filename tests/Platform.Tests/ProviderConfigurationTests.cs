using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Platform.Tests;

/// <summary>DATABASE_PROVIDER is validated at startup, with messages naming the variable.</summary>
[Trait("Engine", "Neutral")]
public sealed class ProviderConfigurationTests
{
    private static IReadOnlyList<string> StartupFailures(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDatabase<RowsDbContext, RowsDbContext>("TEST_DATABASE_PATH", "data/test.db", "orders",
            (db, cancellationToken) => db.Rows.AnyAsync(cancellationToken));
        using var host = builder.Build();
        try
        {
            host.Services.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException invalid)
        {
            return [.. invalid.Failures];
        }
        catch (AggregateException aggregate)
        {
            return [.. aggregate.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)];
        }
    }

    [Fact]
    public void An_unknown_provider_is_a_startup_error_naming_it()
    {
        var failures = StartupFailures(new() { ["DATABASE_PROVIDER"] = "mysql" });

        var failure = Assert.Single(failures);
        Assert.Contains("DATABASE_PROVIDER", failure, StringComparison.Ordinal);
        Assert.Contains("'mysql'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_without_its_connection_string_is_a_startup_error_naming_the_variable()
    {
        var failure = Assert.Single(StartupFailures(new() { ["DATABASE_PROVIDER"] = "postgres" }));

        Assert.Contains("ConnectionStrings__orders is required with DATABASE_PROVIDER=postgres", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Sqlite_is_the_default_and_postgres_with_a_connection_string_is_valid()
    {
        Assert.Empty(StartupFailures(new()));
        Assert.Empty(StartupFailures(new() { ["DATABASE_PROVIDER"] = "postgres", ["ConnectionStrings:orders"] = "Host=127.0.0.1;Database=orders" }));
    }
}
