using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Api.Checkout;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>
/// The reconciler's loop on a real SQLite file, with Stripe replaced at its HTTP boundary and time under the
/// test's control: each delay it waits is read from the timer it creates.
/// </summary>
public sealed class StripeReconcilerBackoffTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private const int BatchSize = 2;

    private readonly TempFolder _folder = new();
    private readonly TimerRecordingTime _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));
    private readonly StripeStub _stripe = new();
    private readonly ServiceProvider _services;

    public StripeReconcilerBackoffTests()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<OutboxSignal>();
        services.AddSqliteDbContext<ApiDbContext>(_folder.File("orders.db"));
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton<OutboxMetrics>();
        services.AddSingleton(Options.Create(new OrderRecoveryOptions { StripeReconcileInterval = Interval, StripeReconcileBatchSize = BatchSize }));
        services.AddSingleton(Options.Create(new StripeOptions { SecretKey = "sk_test_reconcile", ApiBase = new Uri("http://stripe.test") }));
        services.AddSingleton(Options.Create(new FrontendOptions { Origins = [new Uri("http://localhost:5173")] }));
        services.AddHttpClient(StripeCheckout.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => _stripe);
        services.AddScoped<StripeCheckout>();
        // The reconciler hands events to the ingest; these runs find none to hand over.
        services.AddSingleton<RecentStripeEvents>();
        services.AddSingleton<StripeEventWriter>();
        services.AddSingleton<StripeEventIngest>();
        services.AddSingleton<StripeReconciler>();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Failed_runs_back_off_doubling_to_thirty_minutes_and_a_success_resets_to_the_interval()
    {
        await PendingOrdersAsync(count: 3);
        _stripe.Failing = true;
        var reconciler = _services.GetRequiredService<StripeReconciler>();
        await reconciler.StartAsync(CancellationToken.None);
        try
        {
            // 1 min interval: 2, 4, 8, 16 min after consecutive failures, then capped at 30.
            TimeSpan[] backoffs = [TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(8), TimeSpan.FromMinutes(16), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(30)];
            foreach (var expected in backoffs)
            {
                var delay = await _time.NextTimerAsync();
                Assert.Equal(expected, delay);

                // Stripe is not asked again before the delay is over...
                var requests = _stripe.Requests;
                _time.Advance(delay - TimeSpan.FromSeconds(1));
                Assert.Equal(requests, _stripe.Requests);
                Assert.False(_time.HasNewTimer);

                // ...and is asked once it is.
                _time.Advance(TimeSpan.FromSeconds(1));
                await Eventually.TrueAsync(() => Task.FromResult(_stripe.Requests > requests));
            }

            // The run in flight fails too; the next one, after 30 min, succeeds.
            Assert.Equal(TimeSpan.FromMinutes(30), await _time.NextTimerAsync());
            _stripe.Failing = false;
            var beforeSuccess = _stripe.Requests;
            _time.Advance(TimeSpan.FromMinutes(30));

            Assert.Equal(Interval, await _time.NextTimerAsync());
            // A run is bounded: three orders are due, one run asks Stripe about at most its batch of two.
            Assert.Equal(BatchSize, _stripe.Requests - beforeSuccess);
        }
        finally
        {
            await reconciler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Orders that created their Checkout session longer ago than STRIPE_RECONCILE_AFTER and heard nothing since.</summary>
    private async Task PendingOrdersAsync(int count)
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        await db.Database.MigrateAsync();
        var now = _time.GetUtcNow();
        for (var i = 0; i < count; i++)
        {
            var order = Order.Create(Guid.NewGuid(), 2.5m, 21, 100_428, "captain@example.com", null, null, now);
            order.AttachCheckoutSession($"cs_test_reconcile_{i}", null, now);
            db.Orders.Add(order);
        }

        await db.SaveChangesAsync();
        _time.Advance(new OrderRecoveryOptions().StripeReconcileAfter + TimeSpan.FromMinutes(1));
    }

    public void Dispose()
    {
        _services.Dispose();
        _folder.Dispose();
    }

    /// <summary>
    /// Stripe's GET /v1/checkout/sessions/{id}: a 500 while failing, otherwise a still-open session (counted in
    /// <see cref="Requests"/>); its GET /v1/events: no undelivered events.
    /// </summary>
    private sealed class StripeStub : HttpMessageHandler
    {
        private int _requests;

        public volatile bool Failing;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath == "/v1/events")
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent("""{"object":"list","data":[],"has_more":false,"url":"/v1/events"}""", Encoding.UTF8, "application/json"),
                });
            }

            Interlocked.Increment(ref _requests);
            if (Failing)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError)
                {
                    Content = new StringContent("""{"error":{"type":"api_error","message":"Something went wrong on Stripe's end."}}""", Encoding.UTF8, "application/json"),
                });
            }

            var id = request.RequestUri!.Segments[^1];
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"id":"{{id}}","object":"checkout.session","status":"open","payment_status":"unpaid"}""", Encoding.UTF8, "application/json"),
            });
        }
    }

    /// <summary>A fake clock that reports the due time of each timer created on it (Task.Delay's waits).</summary>
    private sealed class TimerRecordingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        public bool HasNewTimer => _timers.Reader.Count > 0;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // Announced only once it is armed: a test that advances the clock the moment it hears of the timer
            // must not get in before it exists (it would then be due a whole delay later and never fire).
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }

        public async Task<TimeSpan> NextTimerAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await _timers.Reader.ReadAsync(timeout.Token);
        }
    }
}
