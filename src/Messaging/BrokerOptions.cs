namespace PuffinOffset.Messaging;

/// <summary>Where RabbitMQ is: <c>ConnectionStrings:messaging</c> (<c>ConnectionStrings__messaging</c>), an AMQP URI.</summary>
public sealed class BrokerOptions
{
    public const string QueueTypeVariable = "RABBITMQ_QUEUE_TYPE";

    public Uri? Uri { get; set; }

    /// <summary>
    /// <c>RABBITMQ_QUEUE_TYPE</c>: <c>classic</c> (default, a single node) or <c>quorum</c> (replicated
    /// across a RabbitMQ cluster, so a queued PaymentCompleted survives the loss of a broker node).
    /// </summary>
    public string QueueType { get; set; } = Classic;

    public const string Classic = "classic";
    public const string Quorum = "quorum";

    public bool IsQuorum => QueueType == Quorum;
}
