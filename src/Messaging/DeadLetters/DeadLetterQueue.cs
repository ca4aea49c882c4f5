namespace PuffinOffset.Messaging.DeadLetters;

/// <summary>
/// A queue where MassTransit puts what a consumer could not take: <c>&lt;queue&gt;_error</c> (the retries gave up)
/// or <c>&lt;queue&gt;_skipped</c> (no consumer for the message type), and the queue its messages came from.
/// </summary>
public sealed record DeadLetterQueue(string Name, string Service, string SourceQueue, string Kind)
{
    public const string Error = "error";
    public const string Skipped = "skipped";

    /// <summary>Every dead-letter queue of both services' endpoints (<see cref="ServiceQueues"/>).</summary>
    public static readonly IReadOnlyList<DeadLetterQueue> All =
    [
        .. ServiceQueues.ByService.SelectMany(service => service.Value.SelectMany(queue => new[]
        {
            new DeadLetterQueue($"{queue}_{Error}", service.Key, queue, Error),
            new DeadLetterQueue($"{queue}_{Skipped}", service.Key, queue, Skipped),
        })),
    ];

    public static DeadLetterQueue? Find(string name) => All.FirstOrDefault(q => q.Name == name);
}
