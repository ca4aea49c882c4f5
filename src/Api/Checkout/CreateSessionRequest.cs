using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;

namespace PuffinOffset.Api.Checkout;

public sealed record CreateSessionRequest(decimal? Tons, int? PortfolioId, string? CustomerEmail)
{
    public const int MaxEmailLength = 254;

    /// <summary>Field-keyed errors for the problem details' <c>errors</c> map; empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Tons is not { } tons)
        {
            errors["tons"] = ["tons is required."];
        }
        else if (CheckoutPrice.ValidateTons(tons) is { } problem)
        {
            errors["tons"] = [problem];
        }

        if (PortfolioId is null)
        {
            errors["portfolioId"] = ["portfolioId is required."];
        }

        if (CustomerEmail is { Length: > 0 } email && !IsEmail(email))
        {
            errors["customerEmail"] = ["customerEmail must be a valid e-mail address."];
        }

        return errors;
    }

    /// <summary>What an Idempotency-Key replay is compared on: the meaning of the body, not its formatting.</summary>
    public string Hash()
    {
        var canonical = $"{Tons?.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}|{PortfolioId}|{NormalizedEmail}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    public string? NormalizedEmail => string.IsNullOrWhiteSpace(CustomerEmail) ? null : CustomerEmail.Trim();

    private static bool IsEmail(string value) =>
        value.Length <= MaxEmailLength
        && MailAddress.TryCreate(value.Trim(), out var address)
        && address.Address == value.Trim()
        && address.Host.Contains('.');
}

/// <summary>200 answer of <c>POST /api/checkout/create-session</c>.</summary>
public sealed record CreateSessionResponse(Guid OrderId, string SessionId, string? Url, long AmountTotal, string Currency);
