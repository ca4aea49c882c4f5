using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

public sealed class TestDbContext(DbContextOptions<TestDbContext> options) : MessagingDbContext(options)
{
    public DbSet<Receipt> Receipts => Set<Receipt>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Receipt>().HasKey(r => r.Id);
    }
}

/// <summary>The business effect of a consumed message: exactly one row per message means exactly-once.</summary>
public sealed class Receipt
{
    public int Id { get; set; }
    public Guid OrderId { get; set; }
}

public sealed class PaymentCompletedRecorder(GroupedInbox<TestDbContext> inbox) : IConsumer<PaymentCompleted>
{
    public Task Consume(ConsumeContext<PaymentCompleted> context) =>
        inbox.ProcessOnceAsync(context, nameof(PaymentCompletedRecorder), db =>
        {
            db.Receipts.Add(new Receipt { OrderId = context.Message.OrderId });
            return Task.CompletedTask;
        });
}

/// <summary>The same business effect through the grouped inbox: the deliveries in flight together commit as one.</summary>
public sealed class GroupedPaymentRecorder(GroupedInbox<TestDbContext> inbox, RefusedDelivery? refused = null) : IConsumer<PaymentCompleted>
{
    public Task Consume(ConsumeContext<PaymentCompleted> context) =>
        inbox.ProcessOnceAsync(context, nameof(GroupedPaymentRecorder), db =>
        {
            if (refused?.Refuses(context.Message.OrderId) == true)
            {
                throw new InvalidOperationException("refused by the test");
            }

            db.Receipts.Add(new Receipt { OrderId = context.Message.OrderId });
            return Task.CompletedTask;
        });
}

/// <summary>The first delivery of one order's message fails in its consumer, as a bad message would.</summary>
public sealed class RefusedDelivery(Guid orderId)
{
    private int _refused;

    public bool Refused => Volatile.Read(ref _refused) == 1;

    public bool Refuses(Guid order) => order == orderId && Interlocked.Exchange(ref _refused, 1) == 0;
}

/// <summary>A generic host using the messaging library on a real database (the engine under test) and a real broker.</summary>
public static class OutboxTestHost
{
    public static async Task<IHost> StartAsync(string databasePath, string brokerUri, bool dispatcherEnabled = true, bool consume = true,
        Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, bool groupedInbox = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = ServiceHost.TestEnvironment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = brokerUri,
            ["Outbox:DispatcherEnabled"] = dispatcherEnabled.ToString(),
            ["Outbox:PollInterval"] = "00:00:05",
            ["Outbox:MinRetryDelay"] = "00:00:00.100",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:PublishTimeout"] = "00:00:03",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        await builder.Services.AddTestDbContextAsync<TestDbContext>(databasePath);
        builder.Services.AddSchemaCreation<TestDbContext>();
        builder.Services.AddMessaging<TestDbContext>(builder.Configuration, bus =>
        {
            if (consume && groupedInbox)
            {
                // Many at once with retries, so that deliveries form groups and a failed one comes back.
                bus.AddConsumer<GroupedPaymentRecorder>(c => c.UseMessageRetry(r => r.Immediate(3))).Endpoint(e => e.ConcurrentMessageLimit = 32);
            }
            else if (consume)
            {
                // One at a time, so the receipts' order is the order the broker delivered in.
                bus.AddConsumer<PaymentCompletedRecorder>().Endpoint(e => e.ConcurrentMessageLimit = 1);
            }
        });

        services?.Invoke(builder.Services);

        // A test host may be stopped moments after it started; without this its bus could finish
        // starting after the stop and keep consuming with a disposed container.
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
