using System.Collections.Concurrent;
using System.Globalization;
using MassTransit;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.HistorySeed;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.IngestBench;

/// <summary>
/// One build of the Api as its own process, with its own database (seeded with the same orders as any other
/// build under test), its own broker virtual host and its own <c>PaymentCompleted</c> consumer standing in for
/// Fulfillment, so that two builds measured in one run never see each other's messages.
/// </summary>
public sealed class ApiUnderTest(string name, ServiceProcess process, IBusControl consumer, ConcurrentDictionary<Guid, byte> received) : IAsyncDisposable
{
    public string Name => name;

    public ServiceProcess Process => process;

    /// <summary>Distinct orders whose <c>PaymentCompleted</c> reached the consumer.</summary>
    public int Received => received.Count;

    public static async Task<ApiUnderTest> StartAsync(string name, string apiDll, bool postgres, string folder,
        IReadOnlyList<(Guid OrderId, string SessionId)> orders, IReadOnlyDictionary<string, string> variables, long history = 0)
    {
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        var sqlitePath = Path.Combine(folder, $"orders-{name}.db");
        var connectionString = postgres ? await (await PostgresServer.Shared).CreateDatabaseAsync("ingest") : null;
        if (history > 0)
        {
            Console.WriteLine($"{name}: seeding {history:N0} past orders (bench/HistorySeed)");
            await HistorySeeder.SeedApiAsync(new HistoryShape(history, DateTimeOffset.UtcNow), history, postgres,
                connectionString ?? $"Data Source={sqlitePath}", Console.Out);
        }

        await SeedAsync(postgres, connectionString, sqlitePath, orders);

        var received = new ConcurrentDictionary<Guid, byte>();
        var consumer = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(brokerUri));
            rabbit.ReceiveEndpoint("bench-payment-completed", endpoint => endpoint.Handler<PaymentCompleted>(context =>
            {
                received[context.Message.OrderId] = 0;
                return Task.CompletedTask;
            }));
        });
        await consumer.StartAsync();

        var environment = new Dictionary<string, string>(postgres
            ? new Dictionary<string, string> { ["DATABASE_PROVIDER"] = "postgres", ["ConnectionStrings__orders"] = connectionString! }
            : new Dictionary<string, string> { ["DATABASE_PATH"] = sqlitePath })
        {
            ["ConnectionStrings__messaging"] = brokerUri,
        };
        foreach (var (key, value) in variables)
        {
            environment[key] = value;
        }

        var process = await ServiceProcess.StartAsync(apiDll, environment, name, logPath: Path.Combine(folder, $"{name}.log"));
        return new ApiUnderTest(name, process, consumer, received);
    }

    /// <summary>
    /// Bytes the Api's runtime has allocated so far (<c>dotnet.gc.heap.total_allocated</c> on <c>/metrics</c>),
    /// or null when the metric is not there.
    /// </summary>
    public async Task<double?> AllocatedBytesAsync(HttpClient client)
    {
        var text = await client.GetStringAsync(new Uri(process.BaseAddress, "/metrics"));
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes", StringComparison.Ordinal)
                || line.StartsWith("process_runtime_dotnet_gc_allocations_size_bytes", StringComparison.Ordinal))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes))
                {
                    return bytes;
                }
            }
        }

        return null;
    }

    private static async Task SeedAsync(bool postgres, string? connectionString, string sqlitePath, IReadOnlyList<(Guid OrderId, string SessionId)> orders)
    {
        await using (ApiDbContext db = postgres
            ? new PostgresApiDbContext(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql(connectionString).Options)
            : new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite($"Data Source={sqlitePath}").Options))
        {
            await db.Database.MigrateAsync();
            var now = DateTimeOffset.UtcNow;
            foreach (var chunk in orders.Chunk(5_000))
            {
                foreach (var (orderId, sessionId) in chunk)
                {
                    var order = Order.Create(orderId, 2.5m, 21, 100428, "buyer@example.com", null, null, now);
                    order.AttachCheckoutSession(sessionId, null, now);
                    db.Orders.Add(order);
                }

                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }

        SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        await consumer.StopAsync();
    }
}
