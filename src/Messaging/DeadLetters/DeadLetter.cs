using System.Globalization;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace PuffinOffset.Messaging.DeadLetters;

/// <summary>
/// What an operator needs to know of one dead letter: the message (type, order, id) from MassTransit's envelope
/// and the fault MassTransit recorded in its <c>MT-Fault-*</c> headers (the stack trace stays in the broker).
/// </summary>
public sealed record DeadLetter(
    string? MessageId,
    string? MessageType,
    Guid? OrderId,
    string? Reason,
    string? ExceptionType,
    string? ExceptionMessage,
    DateTimeOffset? FaultedAt)
{
    private const int MaxExceptionMessageLength = 1000;

    public static DeadLetter Read(IReadOnlyBasicProperties properties, ReadOnlySpan<byte> body)
    {
        var (messageId, messageType, orderId) = ReadEnvelope(body);
        var headers = properties.Headers;
        var exceptionMessage = Header(headers, "MT-Fault-Message");
        return new DeadLetter(
            messageId ?? properties.MessageId,
            messageType,
            orderId,
            Header(headers, "MT-Reason"),
            Header(headers, "MT-Fault-ExceptionType"),
            exceptionMessage is { Length: > MaxExceptionMessageLength } ? exceptionMessage[..MaxExceptionMessageLength] + "…" : exceptionMessage,
            DateTimeOffset.TryParse(Header(headers, "MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null);
    }

    private static string? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                null => null,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            }
            : null;

    // MassTransit's JSON envelope: {"messageId", "messageType": ["urn:message:Namespace:Type"], "message": {...}}.
    // A body that is not one (a raw message published by hand) still shows its headers.
    private static (string? MessageId, string? MessageType, Guid? OrderId) ReadEnvelope(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var envelope = JsonDocument.ParseValue(ref reader);
            var root = envelope.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null, null);
            }

            var messageId = root.TryGetProperty("messageId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            var messageType = root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? types[0].GetString()?.Split(':').Last()
                : null;
            var message = root.TryGetProperty("message", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;
            var orderId = message.TryGetProperty("orderId", out var order) && order.ValueKind == JsonValueKind.String && order.TryGetGuid(out var guid)
                ? guid
                : (Guid?)null;
            return (messageId, messageType, orderId);
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }
}
