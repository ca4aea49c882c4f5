using Microsoft.Extensions.Logging;

namespace PuffinOffset.AppHost;

internal static partial class AppHostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "RabbitMQ: using {Broker}")]
    public static partial void BrokerChosen(this ILogger logger, string broker);
}
