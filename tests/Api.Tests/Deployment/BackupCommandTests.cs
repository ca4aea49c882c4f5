using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// `dotnet Api.dll backup FOLDER`, run as its own process (as the backup unit runs it) while the Api serves
/// checkouts: one consistent, restorable copy holding every order committed before it started, and no
/// checkout refused meanwhile.
/// </summary>
public sealed class BackupCommandTests : ApiTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task A_backup_taken_while_checkouts_go_on_restores_every_order_committed_before_it()
    {
        var before = new List<Guid>();
        for (var i = 0; i < 19; i++)
        {
            before.Add((await CreateOrderAsync()).OrderId);
        }

        // An old snapshot held open keeps the last order's pages in the WAL (no checkpoint can move them into the
        // database file while a reader may still need the pages they replace): a backup must read the WAL too.
        await using var oldReader = await HoldOldSnapshotAsync();
        before.Add((await CreateOrderAsync()).OrderId);

        using var stopWriting = new CancellationTokenSource();
        var during = new List<Guid>();
        var writer = Task.Run(async () =>
        {
            while (!stopWriting.IsCancellationRequested)
            {
                using var response = await Client.PostAsJsonAsync("/api/checkout/create-session", new { tons = 1m, portfolioId = 21 });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                during.Add((await response.Content.ReadFromJsonAsync<CreatedOrder>())!.OrderId);
            }
        });
        var backups = Folder.File("backups");

        var outcome = await ServiceProcess.RunUntilExitAsync(typeof(ApiEntryPoint).Assembly.Location, await CommandSettingsAsync(), Timeout, "backup", backups);
        await stopWriting.CancelAsync();
        await writer;
        if (oldReader is not null)
        {
            await oldReader.DisposeAsync();
        }

        Assert.True(outcome.ExitCode == 0, outcome.Output);
        var file = Assert.Single(Directory.GetFiles(backups));
        Assert.Matches(@"[/\\]api-\d{8}T\d{6}Z\.(sqlite|dump)$", file);
        Assert.Contains($"Api: backed up the Api database to {file}", outcome.Output, StringComparison.Ordinal);
        Assert.NotEmpty(during);

        await using var restored = await RestoreAsync(file);
        var orders = await restored.Orders.AsNoTracking().Select(o => o.Id).ToListAsync();
        Assert.Subset(orders.ToHashSet(), before.ToHashSet());
        Assert.Subset(before.Concat(during).ToHashSet(), orders.ToHashSet());
        Assert.Empty(await restored.Database.GetPendingMigrationsAsync());
    }

    private async Task<SqliteConnection?> HoldOldSnapshotAsync()
    {
        if (TestDatabase.IsPostgres)
        {
            return null;
        }

        var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var read = connection.CreateCommand();
        read.CommandText = "BEGIN; SELECT count(*) FROM orders;";
        await read.ExecuteScalarAsync();
        return connection;
    }

    /// <summary>The service's own database settings as environment variables, and nothing a backup does not need.</summary>
    private async Task<Dictionary<string, string>> CommandSettingsAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DATABASE_PATH"] = DatabasePath,
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        if (TestDatabase.IsPostgres)
        {
            settings["DATABASE_PROVIDER"] = "postgres";
            settings["ConnectionStrings__orders"] = await Api.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()!));
        }

        return settings;
    }

    /// <summary>The backup as an operator restores it (docs/operations.md): a copy of the file, or pg_restore into an empty database.</summary>
    private async Task<ApiDbContext> RestoreAsync(string file)
    {
        if (!TestDatabase.IsPostgres)
        {
            await using (var check = new SqliteConnection($"Data Source={file};Pooling=False"))
            {
                await check.OpenAsync();
                await using var integrity = check.CreateCommand();
                integrity.CommandText = "PRAGMA integrity_check";
                Assert.Equal("ok", await integrity.ExecuteScalarAsync());
            }

            return new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite($"Data Source={file};Pooling=False").Options);
        }

        var target = new NpgsqlConnectionStringBuilder(await (await PostgresServer.Shared).CreateDatabaseAsync("restore"));
        var start = new ProcessStartInfo("pg_restore") { RedirectStandardError = true, ArgumentList = { "--no-owner", "--exit-on-error", $"--dbname={target.Database}", file } };
        start.Environment["PGHOST"] = target.Host;
        start.Environment["PGPORT"] = target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = target.Username;
        start.Environment["PGPASSWORD"] = target.Password ?? "";
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        return new PostgresApiDbContext(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql(target.ToString()).Options);
    }
}
