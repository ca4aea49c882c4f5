namespace PuffinOffset.Fulfillment.Restore;

/// <summary>
/// "This database was restored from a backup at <see cref="RestoredAt"/>", recorded by the <c>restored</c> command
/// (<see cref="RestoredCommand"/>) before the service starts again. Wren orders bought between the backup and the
/// restore are not in the restored database, and Wren has no idempotency key: an order that existed before the
/// restore may have been bought already, so its fulfilment looks its note up at Wren before its first POST
/// (docs/operations.md, "Backups and restore"; docs/fulfillment.md, "After a restore").
/// </summary>
public sealed class RestorePoint
{
    public int Id { get; private set; }
    public DateTimeOffset RestoredAt { get; private set; }

    private RestorePoint() { }

    public RestorePoint(DateTimeOffset restoredAt) => RestoredAt = restoredAt;

    /// <summary>
    /// Whether the order may have been bought by the database a restore at <paramref name="restoredAt"/> lost: it
    /// existed before the restore. The payment time alone cannot tell, since a restored Api learns a payment again
    /// (Stripe's retries, its reconciler) and stamps it with that later moment; so the order's creation time counts
    /// too, read from its id, a version 7 UUID whose first 48 bits are the Unix time in milliseconds when the Api
    /// created it. An id of another version tells nothing: then the order is taken to predate the restore.
    /// </summary>
    public static bool OrderPredates(Guid orderId, DateTimeOffset paidAt, DateTimeOffset restoredAt) =>
        paidAt <= restoredAt || CreatedAt(orderId) is not { } createdAt || createdAt <= restoredAt;

    /// <summary>The creation time carried by a version 7 UUID; null for any other version.</summary>
    public static DateTimeOffset? CreatedAt(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        if (bytes[6] >> 4 != 7)
        {
            return null;
        }

        long milliseconds = 0;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
