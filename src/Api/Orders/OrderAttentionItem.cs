namespace PuffinOffset.Api.Orders;

/// <summary>
/// One reason an order needs an operator, raised by an event and open until an operator resolves that very
/// item. Each is a row of its own, so an order may collect any number of them and a resolve names the items
/// the operator saw: one raised after the page was loaded stays open.
/// </summary>
public sealed class OrderAttentionItem
{
    public const int MaxTextLength = 2000;

    public long Id { get; private set; }
    public Guid OrderId { get; private set; }
    public AttentionKind Kind { get; private set; }
    public string Text { get; private set; } = "";
    public DateTimeOffset RaisedAt { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }
    public string? ResolvedBy { get; private set; }
    public string? ResolutionNote { get; private set; }

    public bool IsOpen => ResolvedAt is null;

    private OrderAttentionItem() { }

    internal static OrderAttentionItem Raise(Guid orderId, AttentionReason reason, DateTimeOffset now) => new()
    {
        OrderId = orderId,
        Kind = reason.Kind,
        Text = Clip(reason.Text),
        RaisedAt = now,
    };

    public bool Matches(AttentionReason reason) => Kind == reason.Kind && string.Equals(Text, Clip(reason.Text), StringComparison.Ordinal);

    // Ids and reasons come from Stripe and Wren: a longer sentence is cut rather than failing the event.
    private static string Clip(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];

    public void Resolve(string resolvedBy, string note, DateTimeOffset now)
    {
        ResolvedAt = now;
        ResolvedBy = resolvedBy;
        ResolutionNote = note;
    }
}
