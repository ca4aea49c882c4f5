using System.Diagnostics;
using System.Text.Json;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// A message waiting to be published, written in the same transaction as the business change that
/// caused it. <see cref="Sequence"/> is the publish order; <see cref="MessageId"/> is stable across
/// re-publishes so that the receiving inbox can drop a duplicate.
/// </summary>
public sealed class OutboxMessage
{
    public long Sequence { get; private set; }
    public Guid MessageId { get; private set; }
    public string MessageType { get; private set; } = "";
    public string Payload { get; private set; } = "";
    public string? TraceParent { get; private set; }
    public string? TraceState { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? DispatchedAt { get; private set; }
    /// <summary>Failed publishes since the row was written or last re-queued, counted while other rows got through (not during a broker outage).</summary>
    public int Attempts { get; private set; }
    /// <summary>Why the last publish failed (the exception's message, no payload).</summary>
    public string? LastError { get; private set; }
    /// <summary>Set when the dispatcher gave up on the row: it is skipped until an operator re-queues it.</summary>
    public DateTimeOffset? ParkedAt { get; private set; }

    private OutboxMessage() { }

    /// <summary>Captures the current trace so that the consumer's work joins the trace that caused it.</summary>
    public static OutboxMessage Create<T>(T message, Guid messageId, DateTimeOffset now) where T : class
    {
        var activity = Activity.Current;
        return new OutboxMessage
        {
            MessageId = messageId,
            MessageType = MessageTypes.NameOf(typeof(T)),
            Payload = JsonSerializer.Serialize(message, MessageTypes.JsonOptions),
            TraceParent = activity?.Id is { } id && activity.IdFormat == ActivityIdFormat.W3C ? id : null,
            TraceState = activity?.TraceStateString,
            CreatedAt = now,
        };
    }

    public object Deserialize() =>
        JsonSerializer.Deserialize(Payload, MessageTypes.Resolve(MessageType), MessageTypes.JsonOptions)
        ?? throw new InvalidOperationException($"Outbox message {MessageId} has an empty payload.");

    public void MarkDispatched(DateTimeOffset now) => DispatchedAt = now;

    public const int MaxErrorLength = 1000;

    /// <param name="countsTowardParking">False when nothing else got through either (the broker is away): the error is kept, the count is not.</param>
    public void RecordFailedAttempt(string error, bool countsTowardParking = true)
    {
        if (countsTowardParking)
        {
            Attempts++;
        }

        LastError = error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];
    }

    public void Park(DateTimeOffset now) => ParkedAt = now;

    /// <summary>An operator's "try again": a fresh attempt budget, same message id (a receiver that has it already drops the copy).</summary>
    public void Requeue()
    {
        ParkedAt = null;
        Attempts = 0;
    }
}
