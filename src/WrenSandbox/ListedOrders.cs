using System.Text;
using System.Text.Json;

namespace PuffinOffset.WrenSandbox;

/// <summary>
/// The body of <c>GET /api/offset-orders</c>, kept ready: each stored order is serialised once, when it is stored, and a
/// read writes the stored bytes newest first. The list has no filter and grows with every order, so serialising it
/// whole on every read made the sandbox, a test double, take most of the cores of a long soak.
/// </summary>
internal sealed class ListedOrders
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] Start = Encoding.UTF8.GetBytes("{\"offsetOrders\":[");
    private static readonly byte[] Comma = [(byte)','];

    private readonly Lock _lock = new();
    private readonly List<byte[]> _orders = [];
    private decimal _totalTons;

    public void Add(StoredOrder order)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { id = order.Id, tons = order.Tons, createdAt = order.CreatedAt, note = order.Note }, Json);
        lock (_lock)
        {
            _orders.Add(json);
            _totalTons += order.Tons;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _orders.Clear();
            _totalTons = 0m;
        }
    }

    /// <summary><c>{"offsetOrders":[…],"stats":{"totalTons":…}}</c>, newest first (Wren documents no order); empty for a test token.</summary>
    public async Task WriteAsync(Stream body, bool empty, CancellationToken cancellationToken)
    {
        byte[][] orders;
        decimal totalTons;
        lock (_lock)
        {
            orders = empty ? [] : [.. _orders];
            totalTons = empty ? 0m : _totalTons;
        }

        await using var buffered = new BufferedStream(body, 64 * 1024);
        await buffered.WriteAsync(Start, cancellationToken);
        for (var i = orders.Length - 1; i >= 0; i--)
        {
            if (i != orders.Length - 1)
            {
                await buffered.WriteAsync(Comma, cancellationToken);
            }

            await buffered.WriteAsync(orders[i], cancellationToken);
        }

        var stats = JsonSerializer.Serialize(new { totalTons }, Json);
        await buffered.WriteAsync(Encoding.UTF8.GetBytes($"],\"stats\":{stats}}}"), cancellationToken);
        await buffered.FlushAsync(cancellationToken);
    }
}
