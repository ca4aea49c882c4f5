using PuffinOffset.StripeSandbox.HostedCheckout;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>
/// Charge, Refund and Dispute objects in Stripe's JSON shape (resources <c>charge</c>, <c>refund</c>, <c>dispute</c>
/// of stripe/openapi's fixtures3.json), with the fields a card payment taken by Checkout has.
/// </summary>
public static class PaymentObjects
{
    public static Dictionary<string, object?> Charge(ChargeState charge) => new()
    {
        ["id"] = charge.ChargeId,
        ["object"] = "charge",
        ["amount"] = charge.Amount,
        ["amount_captured"] = charge.Amount,
        ["amount_refunded"] = charge.AmountRefunded,
        ["application"] = null,
        ["application_fee"] = null,
        ["application_fee_amount"] = null,
        ["balance_transaction"] = "txn_" + charge.ChargeId["ch_".Length..],
        ["billing_details"] = new Dictionary<string, object?>
        {
            ["address"] = null, ["email"] = charge.Email, ["name"] = null, ["phone"] = null, ["tax_id"] = null,
        },
        ["captured"] = true,
        ["created"] = charge.Created,
        ["currency"] = charge.Currency,
        ["customer"] = null,
        ["description"] = null,
        ["disputed"] = charge.DisputeStatus is not null,
        ["failure_code"] = null,
        ["failure_message"] = null,
        ["livemode"] = false,
        ["metadata"] = new Dictionary<string, object?>(),
        ["outcome"] = new Dictionary<string, object?>
        {
            ["network_status"] = "approved_by_network", ["reason"] = null, ["seller_message"] = "Payment complete.", ["type"] = "authorized",
        },
        ["paid"] = true,
        ["payment_intent"] = charge.PaymentIntentId,
        ["payment_method"] = "pm_" + charge.ChargeId["ch_".Length..],
        ["receipt_email"] = charge.Email,
        ["refunded"] = charge.Refunded,
        ["refunds"] = new Dictionary<string, object?>
        {
            ["object"] = "list",
            ["data"] = charge.Refunds.Select(r => Refund(charge, r)).ToArray(),
            ["has_more"] = false,
            ["url"] = $"/v1/charges/{charge.ChargeId}/refunds",
        },
        ["status"] = "succeeded",
    };

    public static Dictionary<string, object?> Refund(ChargeState charge, RefundRecord refund) => new()
    {
        ["id"] = refund.Id,
        ["object"] = "refund",
        ["amount"] = refund.Amount,
        ["balance_transaction"] = "txn_" + refund.Id["re_".Length..],
        ["charge"] = charge.ChargeId,
        ["created"] = refund.Created,
        ["currency"] = charge.Currency,
        ["metadata"] = new Dictionary<string, object?>(),
        ["payment_intent"] = charge.PaymentIntentId,
        ["reason"] = "requested_by_customer",
        ["status"] = "succeeded",
    };

    public static Dictionary<string, object?> Dispute(ChargeState charge) => new()
    {
        ["id"] = charge.DisputeId,
        ["object"] = "dispute",
        ["amount"] = charge.Amount,
        ["balance_transactions"] = Array.Empty<object>(),
        ["charge"] = charge.ChargeId,
        ["created"] = charge.DisputedAt,
        ["currency"] = charge.Currency,
        ["evidence_details"] = new Dictionary<string, object?>
        {
            ["due_by"] = charge.DisputedAt + 14 * 24 * 3600, ["has_evidence"] = false, ["past_due"] = false, ["submission_count"] = 0,
        },
        ["is_charge_refundable"] = false,
        ["livemode"] = false,
        ["metadata"] = new Dictionary<string, object?>(),
        ["payment_intent"] = charge.PaymentIntentId,
        ["reason"] = "fraudulent",
        ["status"] = charge.DisputeStatus,
    };
}
