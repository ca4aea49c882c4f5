using System.Globalization;

namespace PuffinOffset.Api.Configuration;

/// <summary>
/// Strict readers for variables: a value that is set but does not parse is reported at startup by
/// name, never replaced by the default (a typo must not silently mean something else).
/// </summary>
public static class ConfigurationValues
{
    /// <summary>True when <paramref name="value"/> is unset or a time span written <c>hh:mm:ss</c> (optionally <c>d.hh:mm:ss.fff</c>).</summary>
    public static bool IsTimeSpanOrUnset(string? value) =>
        string.IsNullOrWhiteSpace(value) || TryTimeSpan(value, out _);

    /// <summary>The positive time span in <paramref name="value"/>, or <paramref name="fallback"/> when unset or malformed (validation names the variable).</summary>
    public static TimeSpan TimeSpanOr(string? value, TimeSpan fallback) =>
        TryTimeSpan(value, out var parsed) ? parsed : fallback;

    /// <summary>True when <paramref name="value"/> is unset or an absolute http(s) URL.</summary>
    public static bool IsHttpUrlOrUnset(string? value) =>
        string.IsNullOrWhiteSpace(value)
        || Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    // The invariant "c" format needs the colons ("15" alone would be fifteen days).
    private static bool TryTimeSpan(string? value, out TimeSpan parsed)
    {
        parsed = default;
        return value is not null && value.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParseExact(value.Trim(), "c", CultureInfo.InvariantCulture, out parsed);
    }
}
