using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Wren;

/// <summary>A 429 from Wren: its Retry-After is honoured by the order that got it and by every new call of the process.</summary>
public sealed class WrenRateLimitTests : FulfillmentScenario
{
    [Fact]
    public async Task After_a_429_with_Retry_After_the_order_is_not_posted_again_before_it()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.RateLimitNextPosts(1, "2");
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var posts = Wren.State.ReceivedPosts;
        Assert.Equal([429, 200], posts.Select(p => p.Answer));
        // The test host's own backoff is 50 ms: only the Retry-After explains the gap.
        Assert.True(posts[1].At - posts[0].At >= TimeSpan.FromSeconds(1.9), $"posted again {posts[1].At - posts[0].At} after the 429");
        Assert.Single(Wren.State.Orders);
        Assert.Equal(1, (await fulfillment.FulfillmentAsync(orderId))!.TransientFailures);
    }

    [Fact]
    public async Task While_Wren_rate_limits_no_other_order_is_posted_before_its_Retry_After()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.RateLimitNextPosts(1, "3");
        var limited = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(limited), Guid.NewGuid());
        await Eventually.TrueAsync(() => Wren.State.ReceivedPosts.Count == 1, TimeSpan.FromSeconds(30), "the first POST is refused with 429");
        var refusedAt = Wren.State.ReceivedPosts[0].At;

        var other = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(other), Guid.NewGuid());

        await PlacedAsync(other);
        await PlacedAsync(limited);
        var posts = Wren.State.ReceivedPosts;
        Assert.Equal(3, posts.Count);
        Assert.All(posts.Skip(1), post => Assert.True(post.At - refusedAt >= TimeSpan.FromSeconds(2.9), $"a POST {post.At - refusedAt} after the 429"));
        Assert.Equal(2, Wren.State.Orders.Count);
        Assert.Equal(0, (await fulfillment.FulfillmentAsync(other))!.TransientFailures); // held back, not refused
    }

    [Fact]
    public async Task A_Retry_After_given_as_an_HTTP_date_is_honoured_too()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        // HTTP dates have whole seconds: at least 2 s from now once rounded down.
        var until = DateTimeOffset.UtcNow.AddSeconds(3);
        Wren.State.RateLimitNextPosts(1, until.ToString("r"));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var posts = Wren.State.ReceivedPosts;
        Assert.Equal([429, 200], posts.Select(p => p.Answer));
        var notBefore = new DateTimeOffset(until.Year, until.Month, until.Day, until.Hour, until.Minute, until.Second, TimeSpan.Zero);
        Assert.True(posts[1].At >= notBefore.AddMilliseconds(-100), $"posted again at {posts[1].At:O}, Retry-After {notBefore:O}");
    }

    [Fact]
    public async Task WREN_MAX_CONCURRENCY_orders_are_at_Wren_at_once_and_16_by_default()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var holds = Enumerable.Range(0, 20).Select(_ => Wren.State.HoldNextPost()).ToList();
        var orders = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();

        foreach (var orderId in orders)
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await Eventually.TrueAsync(() => Wren.State.PostsStarted == 16, TimeSpan.FromSeconds(60), "16 POSTs are in flight at once");
        foreach (var hold in holds)
        {
            hold.SetResult();
        }

        foreach (var orderId in orders)
        {
            await PlacedAsync(orderId);
        }

        Assert.Equal(20, Wren.State.Orders.Count);
    }

    [Fact]
    public async Task WREN_MAX_CONCURRENCY_bounds_the_calls_in_flight()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["WREN_MAX_CONCURRENCY"] = "3");
        var holds = Enumerable.Range(0, 5).Select(_ => Wren.State.HoldNextPost()).ToList();
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();

        foreach (var orderId in orders)
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await Eventually.TrueAsync(() => Wren.State.PostsStarted == 3, TimeSpan.FromSeconds(60), "3 POSTs are in flight");
        // Every payment is scheduled, and still no fourth POST while three are held.
        await Eventually.TrueAsync(async () => await fulfillment.InboxCountAsync() >= 5, TimeSpan.FromSeconds(30), "all payments scheduled");
        Assert.Equal(3, Wren.State.PostsStarted);
        holds.ForEach(hold => hold.SetResult());

        foreach (var orderId in orders)
        {
            await PlacedAsync(orderId);
        }
    }

    [Fact]
    public async Task A_Retry_After_of_a_day_is_cut_to_WREN_MAX_RETRY_AFTER_logged_and_counted()
    {
        using var capped = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.wren.retry_after_capped");
        var logs = new LogRecorder(LogLevel.Warning);
        await using var fulfillment = await StartFulfillmentAsync(
            settings => settings["WREN_MAX_RETRY_AFTER"] = "00:00:02",
            services => services.AddLogging(l => l.AddProvider(logs)));
        // One 429 from a CDN asking for a day.
        Wren.State.RateLimitNextPosts(1, "86400");
        var limited = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(limited), Guid.NewGuid());
        await Eventually.TrueAsync(() => Wren.State.ReceivedPosts.Count == 1, TimeSpan.FromSeconds(30), "the first POST is refused with 429");
        var other = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(other), Guid.NewGuid());

        // Both within the cap (and this test's patience), not a day later.
        await PlacedAsync(other);
        await PlacedAsync(limited);
        var posts = Wren.State.ReceivedPosts;
        Assert.Equal([429, 200, 200], posts.Select(p => p.Answer));
        Assert.All(posts.Skip(1), post => Assert.True(post.At - posts[0].At >= TimeSpan.FromSeconds(1.9), $"a POST {post.At - posts[0].At} after the 429"));
        Assert.Equal(1, capped.Value);
        Assert.Contains(logs.Entries, e => e.Message.Contains("beyond WREN_MAX_RETRY_AFTER", StringComparison.Ordinal));
        var row = await fulfillment.FulfillmentAsync(limited);
        Assert.Equal((FulfillmentState.Placed, 1), (row!.State, row.TransientFailures));
    }
}
