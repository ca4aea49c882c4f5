using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// Finance's export: every order created in <c>[from, to)</c> as CSV, one row per order tying it to its Stripe
/// payment and Wren order. Rows are written as the database returns them, so a year of orders never sits in memory.
/// </summary>
public static class OrderExport
{
    /// <summary>Names the query in SQL (and in tests that watch it).</summary>
    public const string QueryTag = "order export";

    public static readonly string Header = "order_id,created_at,status,checkout_session_id,payment_intent_id,tons,portfolio_id,"
        + "amount_total,currency,amount_refunded,disputed,wren_order_id,dry_run";

    public static Results<PushStreamHttpResult, ValidationProblem> Export(ApiDbContext db, DateTimeOffset? from, DateTimeOffset? to)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is null)
        {
            errors["from"] = ["from is required: the first instant of the range (ISO 8601, e.g. 2026-01-01T00:00:00Z)."];
        }

        if (to is null)
        {
            errors["to"] = ["to is required: the end of the range, excluded (ISO 8601, e.g. 2026-02-01T00:00:00Z)."];
        }
        else if (from is not null && to <= from)
        {
            errors["to"] = ["to must be after from."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The range is not valid; see errors.", title: "Invalid export range");
        }

        DateTimeOffset? start = from!.Value.ToUniversalTime();
        DateTimeOffset? end = to!.Value.ToUniversalTime();
        var rows = db.Orders.AsNoTracking().TagWith(QueryTag)
            .Where(o => o.CreatedAt >= start && o.CreatedAt < end)
            .OrderBy(o => o.CreatedAt).ThenBy(o => o.Id)
            .Select(o => new ExportedOrder(o.Id, o.CreatedAt, o.Status, o.CheckoutSessionId, o.PaymentIntentId, o.Tons, o.PortfolioId,
                o.AmountTotal, o.AmountRefunded, o.Disputed, o.WrenOrderId, o.DryRun))
            .AsAsyncEnumerable();
        var fileName = $"orders-{start.Value:yyyyMMdd'T'HHmmss'Z'}-{end.Value:yyyyMMdd'T'HHmmss'Z'}.csv";
        return TypedResults.Stream(body => WriteAsync(rows, body), "text/csv; charset=utf-8", fileName);
    }

    private static async Task WriteAsync(IAsyncEnumerable<ExportedOrder> rows, Stream body)
    {
        // The writer's buffer goes out whenever it fills: the client sees rows while later ones are still being read.
        await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024);
        await writer.WriteAsync(Header + "\r\n");
        await foreach (var order in rows)
        {
            await writer.WriteAsync(Row(order));
        }
    }

    /// <summary>One CSV line (RFC 4180, CRLF); amounts in cents.</summary>
    public static string Row(ExportedOrder order) => string.Join(',',
        Cell(order.Id.ToString()),
        Cell(order.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        Cell(OrderStatusNames.Of(order.Status)),
        Cell(order.CheckoutSessionId),
        Cell(order.PaymentIntentId),
        order.Tons.ToString("0.###", CultureInfo.InvariantCulture),
        order.PortfolioId.ToString(CultureInfo.InvariantCulture),
        order.AmountTotal.ToString(CultureInfo.InvariantCulture),
        Order.Currency,
        order.AmountRefunded.ToString(CultureInfo.InvariantCulture),
        order.Disputed ? "true" : "false",
        Cell(order.WrenOrderId),
        order.DryRun switch { true => "true", false => "false", null => "" }) + "\r\n";

    /// <summary>
    /// A text cell: a value a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading
    /// apostrophe; one with a comma, quote or line break is quoted with its quotes doubled.
    /// </summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}

public sealed record ExportedOrder(
    Guid Id, DateTimeOffset CreatedAt, OrderStatus Status, string? CheckoutSessionId, string? PaymentIntentId, decimal Tons,
    int PortfolioId, long AmountTotal, long AmountRefunded, bool Disputed, string? WrenOrderId, bool? DryRun);
