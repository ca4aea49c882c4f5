using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Admin;
using PuffinOffset.Api.Orders;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>
/// The export over 100,000 orders streams: the export query's reader is held open (it cannot finish) until the client
/// has read the first thousand rows. An export that read every order before writing would never send one, and the
/// test would time out waiting for it.
/// </summary>
public sealed class OrderExportStreamingTests : AdminTestBase
{
    private const int Orders = 100_000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_export_of_100000_orders_sends_rows_before_its_query_has_finished_reading()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        await SeedAsync(start);
        var held = new HeldExportReader();
        await using var exporting = await Api.StartAnotherAsync(services =>
        {
            services.AddSingleton<IInterceptor>(held);
            services.AddSingleton(_ => new SqliteFileLock(Folder.File("exporting-api.db")));
        });
        using var client = exporting.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var timeout = new CancellationTokenSource(Patience);
        // A buffering export would wait on the held reader for ever: let it go once the test has failed.
        using var releaseOnTimeout = timeout.Token.Register(held.Release);

        using var response = await client.GetAsync(
            $"/api/admin/orders/export?from={Uri.EscapeDataString(start.AddSeconds(-1).ToString("O"))}&to={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}",
            HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal(OrderExport.Header, await reader.ReadLineAsync(timeout.Token));
        for (var row = 0; row < 1000; row++)
        {
            Assert.NotNull(await reader.ReadLineAsync(timeout.Token));
        }

        Assert.False(held.Finished, "the first thousand rows arrived while the export query was still being read");
        held.Release();

        var rows = 1000;
        while (await reader.ReadLineAsync(timeout.Token) is { Length: > 0 })
        {
            rows++;
        }

        Assert.Equal(Orders, rows);
        Assert.True(held.Finished);
    }

    /// <summary>
    /// 100,000 pending orders: one through the model, then copies of it under new ids in one INSERT … SELECT
    /// (a hundred thousand entities through EF took minutes on PostgreSQL on a loaded machine).
    /// </summary>
    private Task SeedAsync(DateTimeOffset start) => Api.WithDbAsync(async db =>
    {
        db.Orders.Add(Order.Create(Guid.NewGuid(), 1.5m, 21, 2000, null, null, null, start));
        await db.SaveChangesAsync();
        var table = StoreObjectIdentifier.Table("orders");
        var columns = db.Model.FindEntityType(typeof(Order))!.GetProperties().Select(p => p.GetColumnName(table)!).ToList();
        var postgres = db.Database.IsNpgsql();
        var newId = postgres ? "gen_random_uuid()"
            : "upper(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6)))";
        var copy = $"INSERT INTO orders ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) "
            + $"SELECT {string.Join(", ", columns.Select(c => c == "Id" ? newId : $"t.\"{c}\""))} FROM orders t CROSS JOIN ";
        var sql = postgres
            ? copy + $"generate_series(2, {Orders}) AS s(n)"
            : $"WITH RECURSIVE s(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM s WHERE n < {Orders}) " + copy + "s";
        Assert.Equal(Orders - 1, await db.Database.ExecuteSqlRawAsync(sql));
        return Orders;
    });

    /// <summary>Keeps the export query's reader from closing until <see cref="Release"/>.</summary>
    private sealed class HeldExportReader : DbCommandInterceptor
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _finished;

        public bool Finished => _finished;

        public void Release() => _released.TrySetResult();

        public override async ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            if (command.CommandText.Contains(OrderExport.QueryTag, StringComparison.Ordinal))
            {
                await _released.Task;
                _finished = true;
            }

            return result;
        }

        public override InterceptionResult DataReaderClosing(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            if (command.CommandText.Contains(OrderExport.QueryTag, StringComparison.Ordinal))
            {
                _released.Task.Wait();
                _finished = true;
            }

            return result;
        }
    }
}
