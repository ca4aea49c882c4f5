using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// The one parse of a verified body: a forward-only <see cref="Utf8JsonReader"/> over the raw bytes that keeps only the
/// fields we act on (no document, no string for anything else). It reads JSON exactly as <c>JsonDocument</c> did: the
/// whole body must be valid JSON (depth 64, no comments, no byte-order mark, nothing after the value), a name given twice counts by its last
/// occurrence, and a field of the wrong kind counts as absent.
/// </summary>
internal static class StripeEventJson
{
    public static StripeWebhookEvent? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var root = ReadRoot(ref reader);
            reader.Read(); // throws if anything but white space follows the event
            return root.ToEvent();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A string we read is not valid UTF-8.
            return null;
        }
    }

    private static Root ReadRoot(ref Utf8JsonReader reader)
    {
        var root = default(Root);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("object"u8))
            {
                root.IsEvent = NextIs(ref reader, "event"u8);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                root.Id = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                root.Type = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("api_version"u8))
            {
                root.ApiVersion = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("livemode"u8))
            {
                root.LiveMode = NextTrue(ref reader);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                root.Object = NextData(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return root;
    }

    /// <summary><c>data.object</c> of the last <c>data</c>; null when either is absent or not an object.</summary>
    private static DataObject? NextData(ref Utf8JsonReader reader)
    {
        if (!NextIsObject(ref reader))
        {
            return null;
        }

        DataObject? dataObject = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("object"u8))
            {
                dataObject = NextIsObject(ref reader) ? ReadDataObject(ref reader) : null;
            }
            else
            {
                reader.Skip();
            }
        }

        return dataObject;
    }

    private static DataObject ReadDataObject(ref Utf8JsonReader reader)
    {
        var obj = default(DataObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                obj.Id = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                obj.IsDispute = NextIs(ref reader, "dispute"u8);
            }
            else if (reader.ValueTextEquals("payment_status"u8))
            {
                obj.PaymentStatus = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("payment_intent"u8))
            {
                obj.PaymentIntent = NextId(ref reader);
            }
            else if (reader.ValueTextEquals("livemode"u8))
            {
                obj.LiveMode = NextTrue(ref reader);
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                obj.MetadataOrderId = NextObjectString(ref reader, "orderId"u8);
            }
            else if (reader.ValueTextEquals("customer_details"u8))
            {
                obj.CustomerEmail = NextObjectString(ref reader, "email"u8);
            }
            else if (reader.ValueTextEquals("charge"u8))
            {
                obj.ChargePaymentIntent = NextObjectId(ref reader, "payment_intent"u8);
            }
            else if (reader.ValueTextEquals("amount"u8))
            {
                obj.Amount = NextLong(ref reader);
            }
            else if (reader.ValueTextEquals("amount_refunded"u8))
            {
                obj.AmountRefunded = NextLong(ref reader);
            }
            else if (reader.ValueTextEquals("refunded"u8))
            {
                obj.Refunded = NextTrue(ref reader);
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                obj.Status = NextString(ref reader);
            }
            else if (reader.ValueTextEquals("reason"u8))
            {
                obj.Reason = NextString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return obj;
    }

    // Each Next… moves from a property name to its value and past it (children included).

    private static string? NextString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static bool NextIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> text)
    {
        reader.Read();
        var matches = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(text);
        reader.Skip();
        return matches;
    }

    private static bool NextTrue(ref Utf8JsonReader reader)
    {
        reader.Read();
        var isTrue = reader.TokenType == JsonTokenType.True;
        reader.Skip();
        return isTrue;
    }

    private static long NextLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        var number = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : 0;
        reader.Skip();
        return number;
    }

    /// <summary>Leaves the reader on the value: true on the start of an object, whose properties the caller reads.</summary>
    private static bool NextIsObject(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    /// <summary>A reference to another Stripe object: its id, or the object's own <c>id</c> when the endpoint expands it.</summary>
    private static string? NextId(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        return reader.TokenType == JsonTokenType.StartObject ? ReadObjectString(ref reader, "id"u8) : SkipToNull(ref reader);
    }

    /// <summary>The string <paramref name="name"/> of an object value; null when the value is not an object.</summary>
    private static string? NextObjectString(ref Utf8JsonReader reader, ReadOnlySpan<byte> name) =>
        NextIsObject(ref reader) ? ReadObjectString(ref reader, name) : null;

    /// <summary>The reference <paramref name="name"/> (see <see cref="NextId"/>) of an object value.</summary>
    private static string? NextObjectId(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!NextIsObject(ref reader))
        {
            return null;
        }

        string? id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                id = NextId(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return id;
    }

    private static string? ReadObjectString(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = NextString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return value;
    }

    private static string? SkipToNull(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private struct Root
    {
        public bool IsEvent;
        public string? Id;
        public string? Type;
        public string? ApiVersion;
        public bool LiveMode;
        public DataObject? Object;

        public readonly StripeWebhookEvent? ToEvent()
        {
            if (!IsEvent || Id is not { Length: > 0 } eventId || Type is not { Length: > 0 } type)
            {
                return null;
            }

            return type.StartsWith("charge.", StringComparison.Ordinal) ? Charge(eventId, type) : CheckoutSession(eventId, type);
        }

        private readonly ChargeEvent Charge(string eventId, string type)
        {
            if (Object is not { } obj)
            {
                return new(eventId, type, ApiVersion, null, null, 0, 0, false, null, null);
            }

            return new(eventId, type, ApiVersion,
                obj.Id,
                obj.PaymentIntent ?? obj.ChargePaymentIntent,
                obj.Amount,
                obj.IsDispute ? 0 : obj.AmountRefunded,
                !obj.IsDispute && obj.Refunded,
                obj.IsDispute ? obj.Status : null,
                obj.IsDispute ? obj.Reason : null);
        }

        private readonly CheckoutSessionEvent CheckoutSession(string eventId, string type) => Object is { } session
            ? new(eventId, type, ApiVersion, session.Id, session.PaymentStatus, session.MetadataOrderId, session.PaymentIntent,
                session.CustomerEmail, LiveMode || session.LiveMode)
            : new(eventId, type, ApiVersion, null, null, null, null, null, LiveMode);
    }

    /// <summary>The union of the fields a Checkout session, a Charge and a Dispute give us.</summary>
    private struct DataObject
    {
        public string? Id;
        public bool IsDispute;
        public string? PaymentStatus;
        public string? PaymentIntent;
        public bool LiveMode;
        public string? MetadataOrderId;
        public string? CustomerEmail;
        public string? ChargePaymentIntent;
        public long Amount;
        public long AmountRefunded;
        public bool Refunded;
        public string? Status;
        public string? Reason;
    }
}
