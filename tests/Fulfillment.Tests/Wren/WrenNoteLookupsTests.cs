using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using PuffinOffset.Fulfillment.Wren;

namespace PuffinOffset.Fulfillment.Tests.Wren;

/// <summary>
/// Lookups by note asked for while a read of Wren's list is in flight share the next read, and every answer comes from
/// a read that began after its lookup was asked for (an order stored before the question is always seen).
/// </summary>
public sealed class WrenNoteLookupsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Lookups_asked_for_during_a_read_share_the_next_one_and_see_the_orders_stored_before_they_were_asked_for()
    {
        var wren = new HeldList();
        var client = wren.Client();
        wren.Store("ch_a", "note a");

        var first = client.FindOrderByNoteAsync("note a", CancellationToken.None);
        var firstRead = await wren.NextReadAsync();
        // Stored while the first read is in flight, then asked for: that read began too early to be the answer.
        wren.Store("ch_b", "note b");
        var others = new[] { "note b", "note c", "NOTE B " }.Select(note => client.FindOrderByNoteAsync(note, CancellationToken.None)).ToList();
        firstRead.Release();
        (await wren.NextReadAsync()).Release();

        Assert.Equal("ch_a", Assert.IsType<WrenLookupResult.Found>(await first.WaitAsync(Bound)).WrenOrderId);
        Assert.Equal("ch_b", Assert.IsType<WrenLookupResult.Found>(await others[0].WaitAsync(Bound)).WrenOrderId);
        Assert.IsType<WrenLookupResult.NotFound>(await others[1].WaitAsync(Bound));
        Assert.Equal("ch_b", Assert.IsType<WrenLookupResult.Found>(await others[2].WaitAsync(Bound)).WrenOrderId);
        Assert.Equal(2, wren.Reads); // four lookups, two reads
    }

    [Fact]
    public async Task A_lookup_asked_for_alone_reads_at_once_and_each_later_one_reads_again()
    {
        var wren = new HeldList { HoldReads = false };
        var client = wren.Client();

        Assert.IsType<WrenLookupResult.NotFound>(await client.FindOrderByNoteAsync("note a", CancellationToken.None).WaitAsync(Bound));
        wren.Store("ch_a", "note a");

        Assert.IsType<WrenLookupResult.Found>(await client.FindOrderByNoteAsync("note a", CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(2, wren.Reads);
    }

    [Fact]
    public async Task A_failed_read_answers_every_lookup_it_served_with_the_failure()
    {
        var wren = new HeldList { Status = HttpStatusCode.TooManyRequests };
        var client = wren.Client();

        var first = client.FindOrderByNoteAsync("note a", CancellationToken.None);
        var firstRead = await wren.NextReadAsync();
        var second = client.FindOrderByNoteAsync("note b", CancellationToken.None);
        var third = client.FindOrderByNoteAsync("note c", CancellationToken.None);
        firstRead.Release();
        (await wren.NextReadAsync()).Release();

        foreach (var lookup in new[] { first, second, third })
        {
            var failed = Assert.IsType<WrenLookupResult.Failed>(await lookup.WaitAsync(Bound));
            Assert.StartsWith("order lookup answered 429", failed.Error);
            Assert.Equal(TimeSpan.FromSeconds(7), failed.RateLimit?.RetryAfterDelay);
        }
    }

    [Fact]
    public async Task A_lookup_waits_no_longer_than_the_client_timeout()
    {
        var wren = new HeldList();
        var client = wren.Client(timeout: TimeSpan.FromMilliseconds(300));

        var lookup = client.FindOrderByNoteAsync("note a", CancellationToken.None);
        var read = await wren.NextReadAsync();

        var failed = Assert.IsType<WrenLookupResult.Failed>(await lookup.WaitAsync(Bound));
        Assert.Equal("order lookup failed: timed out", failed.Error);
        read.Release();
    }

    /// <summary>Wren's list over HTTP, each read held until the test releases it; orders can be stored at any moment.</summary>
    private sealed class HeldList : HttpMessageHandler
    {
        private readonly ConcurrentQueue<(string Id, string Note)> _orders = new();
        private readonly Channel<HeldRead> _reads = Channel.CreateUnbounded<HeldRead>();
        private int _readCount;

        public bool HoldReads { get; init; } = true;

        public HttpStatusCode Status { get; init; } = HttpStatusCode.OK;

        public int Reads => _readCount;

        public void Store(string id, string note) => _orders.Enqueue((id, note));

        public WrenClient Client(TimeSpan? timeout = null) =>
            new(new HttpClient(this) { BaseAddress = new Uri("http://wren.invalid/"), Timeout = timeout ?? Bound }, NullLogger<WrenClient>.Instance, new WrenNoteLookups());

        public async Task<HeldRead> NextReadAsync() => await _reads.Reader.ReadAsync().AsTask().WaitAsync(Bound);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _readCount);
            // The list as it is when the read begins: an order stored later is not in it.
            var body = "{\"offsetOrders\":[" + string.Join(",", _orders.Select(o => $"{{\"id\":\"{o.Id}\",\"note\":\"{o.Note}\"}}")) + "]}";
            if (HoldReads)
            {
                var held = new HeldRead();
                await _reads.Writer.WriteAsync(held, cancellationToken);
                await held.Released.WaitAsync(cancellationToken);
            }

            var response = new HttpResponseMessage(Status) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            if (Status == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
            }

            return response;
        }
    }

    private sealed class HeldRead
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Released => _released.Task;

        public void Release() => _released.TrySetResult();
    }
}
