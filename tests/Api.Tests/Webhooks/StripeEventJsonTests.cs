using System.Text;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>The streaming parse reads every body exactly as the former <c>JsonDocument</c> parse did.</summary>
[Trait("Engine", "Neutral")]
public sealed class StripeEventJsonTests
{
    private const string Session = """{"id":"cs_1","object":"checkout.session","payment_status":"paid","payment_intent":"pi_1","livemode":false,"metadata":{"orderId":"0193a0b0-0000-7000-8000-000000000001"},"customer_details":{"email":"a@example.com"}}""";
    private const string Charge = """{"id":"ch_1","object":"charge","payment_intent":"pi_1","amount":2500,"amount_refunded":1000,"refunded":false}""";
    private const string Dispute = """{"id":"dp_1","object":"dispute","charge":{"id":"ch_1","payment_intent":{"id":"pi_2"}},"amount":2500,"status":"needs_response","reason":"fraudulent"}""";

    private static string Event(string type, string dataObject, string extra = "") =>
        $$"""{"id":"evt_1","object":"event","api_version":"2025-01-27.acacia","type":"{{type}}","livemode":false,"data":{"object":{{dataObject}}}{{extra}}}""";

    public static TheoryData<string, string> Bodies() => new()
    {
        { "fixture: completed paid", StripeEventFixture.Raw(StripeEventFixture.CompletedPaid) },
        { "fixture: completed unpaid", StripeEventFixture.Raw(StripeEventFixture.CompletedUnpaid) },
        { "fixture: async succeeded", StripeEventFixture.Raw(StripeEventFixture.AsyncSucceeded) },
        { "fixture: async failed", StripeEventFixture.Raw(StripeEventFixture.AsyncFailed) },
        { "fixture: expired", StripeEventFixture.Raw(StripeEventFixture.Expired) },
        { "fixture: payment intent created", StripeEventFixture.Raw(StripeEventFixture.PaymentIntentCreated) },
        { "fixture: full refund", StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull) },
        { "fixture: partial refund", StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedPartial) },
        { "fixture: dispute created", StripeEventFixture.Raw(StripeEventFixture.DisputeCreated) },
        { "fixture: dispute closed", StripeEventFixture.Raw(StripeEventFixture.DisputeClosed) },
        { "session", Event("checkout.session.completed", Session) },
        { "charge", Event("charge.refunded", Charge) },
        { "dispute through an expanded charge", Event("charge.dispute.created", Dispute) },
        { "expanded payment intent", Event("checkout.session.completed", Session.Replace("\"pi_1\"", """{"id":"pi_x","object":"payment_intent"}""")) },
        { "expanded payment intent without id", Event("checkout.session.completed", Session.Replace("\"pi_1\"", """{"object":"payment_intent"}""")) },
        { "payment intent null", Event("charge.refunded", Charge.Replace("\"pi_1\"", "null")) },
        { "payment intent a number", Event("checkout.session.completed", Session.Replace("\"pi_1\"", "7")) },
        { "session live mode only", Event("checkout.session.completed", Session.Replace("\"livemode\":false", "\"livemode\":true")) },
        { "event live mode", Event("checkout.session.completed", Session).Replace("\"livemode\":false,\"data\"", "\"livemode\":true,\"data\"") },
        { "live mode as a string", Event("checkout.session.completed", Session).Replace("\"livemode\":false,\"data\"", "\"livemode\":\"true\",\"data\"") },
        { "id given twice, last a number", Event("checkout.session.completed", Session, ",\"id\":5") },
        { "id given twice, last a string", Event("checkout.session.completed", Session, ",\"id\":\"evt_2\"") },
        { "object given twice, last not event", Event("checkout.session.completed", Session, ",\"object\":\"list\"") },
        { "type given twice", Event("checkout.session.completed", Session, ",\"type\":\"charge.refunded\"") },
        { "data given twice, last without object", Event("checkout.session.completed", Session, ",\"data\":{}") },
        { "data given twice, last an array", Event("checkout.session.completed", Session, ",\"data\":[1,2]") },
        { "data given twice, last another session", Event("checkout.session.completed", Session, ",\"data\":{\"object\":{\"id\":\"cs_2\"}}") },
        { "data object given twice", Event("checkout.session.completed", Session + ",\"object\":{\"id\":\"cs_3\",\"payment_status\":\"unpaid\"}") },
        { "metadata given twice, last not an object", Event("checkout.session.completed", Session.Replace("\"customer_details\"", "\"metadata\":\"x\",\"customer_details\"")) },
        { "order id a number", Event("checkout.session.completed", Session.Replace("\"0193a0b0-0000-7000-8000-000000000001\"", "42")) },
        { "escaped names and values", Event("checkout.session.completed", Session.Replace("\"id\":\"cs_1\"", "\"\\u0069d\":\"cs_\\u00e91\"")) },
        { "data object an array", Event("checkout.session.completed", "[1,2,3]") },
        { "data object null", Event("charge.refunded", "null") },
        { "data a string", """{"id":"evt_1","object":"event","type":"checkout.session.expired","data":"x"}""" },
        { "no data", """{"id":"evt_1","object":"event","type":"checkout.session.expired"}""" },
        { "no api version", """{"id":"evt_1","object":"event","type":"checkout.session.expired","data":{"object":{"id":"cs_1"}}}""" },
        { "amount too large", Event("charge.refunded", Charge.Replace("2500", "123456789012345678901234567890")) },
        { "amount a fraction", Event("charge.refunded", Charge.Replace("2500", "25.5")) },
        { "amount a string", Event("charge.refunded", Charge.Replace("2500", "\"2500\"")) },
        { "refunded true", Event("charge.refunded", Charge.Replace("\"refunded\":false", "\"refunded\":true")) },
        { "dispute fields on a charge", Event("charge.refunded", Charge.Replace("\"refunded\"", "\"status\":\"succeeded\",\"reason\":\"x\",\"refunded\"")) },
        { "unknown fields and deep values", Event("checkout.session.completed", Session.Replace("\"livemode\"", "\"x\":[{\"a\":[[{}]]},true,null,1e3],\"livemode\"")) },
        { "byte-order mark", "\uFEFF" + Event("checkout.session.completed", Session) },
        { "white space around", "\n  " + Event("checkout.session.completed", Session) + " \r\n" },
        { "not an event", """{"hello":"world"}""" },
        { "object is not event", Event("checkout.session.completed", Session).Replace("\"object\":\"event\"", "\"object\":\"Event\"") },
        { "empty id", Event("checkout.session.completed", Session).Replace("\"id\":\"evt_1\"", "\"id\":\"\"") },
        { "empty type", Event("", Session) },
        { "not JSON", "not json at all" },
        { "empty body", "" },
        { "white space only", "  " },
        { "an array", "[1]" },
        { "a string", "\"event\"" },
        { "null", "null" },
        { "trailing garbage", Event("checkout.session.completed", Session) + "x" },
        { "two values", Event("checkout.session.completed", Session) + Event("checkout.session.completed", Session) },
        { "trailing comma", Event("checkout.session.completed", Session).Replace("}}}", "},}}") },
        { "comment", "/* c */" + Event("checkout.session.completed", Session) },
        { "truncated", Event("checkout.session.completed", Session)[..^5] },
        { "nested 64 deep", Event("checkout.session.completed", Session.Replace("\"livemode\"", $"\"x\":{new string('[', 60)}{new string(']', 60)},\"livemode\"")) },
        { "nested 65 deep", Event("checkout.session.completed", Session.Replace("\"livemode\"", $"\"x\":{new string('[', 62)}{new string(']', 62)},\"livemode\"")) },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_body_reads_as_the_former_parse_read_it(string @case, string body)
    {
        var expected = JsonDocumentEventReader.TryRead(body);

        Assert.Equal(expected, StripeWebhookEvent.TryRead(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(expected, StripeWebhookEvent.TryRead(body));
        Assert.True(@case.Length > 0);
    }

    [Fact]
    public void The_fields_of_a_paid_session_and_of_a_dispute_are_read()
    {
        var session = Assert.IsType<CheckoutSessionEvent>(StripeWebhookEvent.TryRead(Encoding.UTF8.GetBytes(Event("checkout.session.completed", Session))));
        Assert.Equal(new CheckoutSessionEvent("evt_1", "checkout.session.completed", "2025-01-27.acacia", "cs_1", "paid",
            "0193a0b0-0000-7000-8000-000000000001", "pi_1", "a@example.com"), session);

        var dispute = Assert.IsType<ChargeEvent>(StripeWebhookEvent.TryRead(Encoding.UTF8.GetBytes(Event("charge.dispute.created", Dispute))));
        Assert.Equal(new ChargeEvent("evt_1", "charge.dispute.created", "2025-01-27.acacia", "dp_1", "pi_2", 2500, 0, false, "needs_response", "fraudulent"), dispute);
    }

    [Fact]
    public void A_string_that_is_not_valid_UTF8_is_not_an_event()
    {
        var body = Encoding.UTF8.GetBytes(Event("checkout.session.completed", Session).Replace("cs_1", "cs_#"));
        body[Array.IndexOf(body, (byte)'#')] = 0xFF;

        Assert.Null(StripeWebhookEvent.TryRead(body));
    }
}
