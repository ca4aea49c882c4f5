using System.Net;
using PuffinOffset.StripeSandbox.Tests.Support;

namespace PuffinOffset.StripeSandbox.Tests;

public sealed class StorefrontTests : SandboxTestBase
{
    [Fact]
    public async Task The_storefront_pages_are_served_and_told_where_the_Api_is()
    {
        Options.PuffinApiUrl = new Uri("http://api.example.test:5080/");
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };

        Assert.Equal("window.PUFFIN_API_URL = \"http://api.example.test:5080\";\n", await http.GetStringAsync("/storefront/config.js"));
        Assert.Contains("id=\"offset-form\"", await http.GetStringAsync("/"));
        Assert.Contains("id=\"status\"", await http.GetStringAsync("/checkout/success?session_id=cs_test_x"));
        Assert.Contains("Checkout cancelled", await http.GetStringAsync("/checkout/cancel"));
        using var script = await http.GetAsync("/storefront/storefront.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/storefront/missing.js")).StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/checkout/success?session_id=cs_test_x")]
    [InlineData("/checkout/cancel")]
    public async Task Every_page_names_its_icon_and_the_icon_is_served_so_the_browser_asks_for_no_favicon_ico(string page)
    {
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };

        Assert.Contains("<link rel=\"icon\" href=\"/storefront/favicon.svg\" type=\"image/svg+xml\">", await http.GetStringAsync(page), StringComparison.Ordinal);
        using var icon = await http.GetAsync("/storefront/favicon.svg");
        Assert.Equal((HttpStatusCode.OK, "image/svg+xml"), (icon.StatusCode, icon.Content.Headers.ContentType?.MediaType));
    }
}
