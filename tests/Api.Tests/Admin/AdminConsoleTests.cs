using System.Net;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Admin;

public sealed class AdminConsoleTests : AdminTestBase
{
    [Fact]
    public async Task The_console_names_its_icon_and_serves_it_so_the_browser_asks_for_no_favicon_ico()
    {
        Assert.Contains("<link rel=\"icon\" href=\"/admin/favicon.svg\" type=\"image/svg+xml\">", await Client.GetStringAsync("/admin"), StringComparison.Ordinal);

        using var icon = await Client.GetAsync("/admin/favicon.svg");

        Assert.Equal((HttpStatusCode.OK, "image/svg+xml"), (icon.StatusCode, icon.Content.Headers.ContentType?.MediaType));
    }
}
