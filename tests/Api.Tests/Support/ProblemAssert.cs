using System.Text.Json;

namespace PuffinOffset.Api.Tests.Support;

public static class ProblemAssert
{
    private static readonly string[] Leaks =
    [
        "Exception", "   at ", "stack", "StackTrace", "SQLite", "SELECT ", "INSERT ", "sk_test_", "whsec_", "PuffinOffset.", "Stripe.net", "injected sandbox",
    ];

    /// <summary>RFC 9457 problem details with status, title and detail, and nothing internal; returns the body.</summary>
    public static async Task<string> IsSafeProblemAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()));
        foreach (var leak in Leaks)
        {
            Assert.DoesNotContain(leak, text, StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }
}
