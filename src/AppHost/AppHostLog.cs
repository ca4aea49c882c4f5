using Microsoft.Extensions.Logging;

namespace PuffinOffset.AppHost;

internal static partial class AppHostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "RabbitMQ: using {Broker}")]
    public static partial void BrokerChosen(this ILogger logger, string broker);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service}: using {Choice}")]
    public static partial void ExternalServiceChosen(this ILogger logger, string service, string choice);

    [LoggerMessage(Level = LogLevel.Information, Message = "Databases: using {Databases}; api replicas {ApiReplicas}, fulfillment replicas {FulfillmentReplicas}")]
    public static partial void DatabaseChosen(this ILogger logger, string databases, int apiReplicas, int fulfillmentReplicas);
}
