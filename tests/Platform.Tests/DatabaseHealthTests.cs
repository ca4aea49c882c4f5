using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Platform.Tests;

/// <summary>Readiness notices a database that is gone, even while pooled connections still hold it open.</summary>
public sealed class DatabaseHealthTests
{
    [Fact]
    public async Task The_database_check_turns_unhealthy_when_the_database_file_disappears()
    {
        using var folder = new TempFolder();
        var path = folder.File("health.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteDbContext<RowsDbContext>(path);
        services.AddHealthChecks().AddSqliteDatabaseCheck<RowsDbContext>((db, cancellationToken) => db.Rows.AnyAsync(cancellationToken));
        await using var provider = services.BuildServiceProvider();
        await using (var scope = provider.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<RowsDbContext>().Database.EnsureCreatedAsync();
        }

        var health = provider.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        foreach (var file in Directory.GetFiles(folder.Path))
        {
            File.Delete(file);
        }

        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);
    }
}
