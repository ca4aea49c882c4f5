namespace PuffinOffset.Messaging;

/// <summary>Where RabbitMQ is: <c>ConnectionStrings:messaging</c> (<c>ConnectionStrings__messaging</c>), an AMQP URI.</summary>
public sealed class BrokerOptions
{
    public Uri? Uri { get; set; }
}
