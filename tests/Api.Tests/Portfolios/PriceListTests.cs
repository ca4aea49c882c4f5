using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Portfolios;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Portfolios;

[Trait("Engine", "Neutral")]
public sealed class PriceListTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private WrenStub _wren = null!;
    private PriceList _prices = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _wren = await WrenStub.StartAsync();
        var options = Options.Create(new WrenPricingOptions { ApiBase = _wren.BaseAddress, PriceListTtl = TimeSpan.FromMinutes(10) });
        _services = new ServiceCollection().AddSingleton(options).AddHttpClient<WrenPortfolioClient>().Services.BuildServiceProvider();
        _prices = new PriceList(_services.GetRequiredService<IServiceScopeFactory>(), _time, options, NullLogger<PriceList>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _wren.DisposeAsync();
    }

    [Fact]
    public async Task Prices_are_read_as_decimals_from_snake_case()
    {
        var portfolio = await _prices.FindAsync(12, CancellationToken.None);
        Assert.Equal(new Portfolio(12, "Climate Fund", "Broad portfolio.", 12.345m, "usd"), portfolio);
        Assert.Null(await _prices.FindAsync(999, CancellationToken.None));
    }

    [Fact]
    public async Task The_list_is_cached_for_its_ttl_then_refetched()
    {
        await _prices.GetAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(9));
        await _prices.GetAsync(CancellationToken.None);
        Assert.Equal(1, _wren.Requests);

        _time.Advance(TimeSpan.FromMinutes(2));
        _wren.Body = WrenStub.DefaultPortfolios.Replace("401.71", "450.5");
        Assert.Equal(450.5m, (await _prices.FindAsync(21, CancellationToken.None))!.PricePerTon);
        Assert.Equal(2, _wren.Requests);
    }

    [Fact]
    public async Task When_wren_is_down_the_last_list_is_served()
    {
        await _prices.GetAsync(CancellationToken.None);
        _wren.Down = true;
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(401.71m, (await _prices.FindAsync(21, CancellationToken.None))!.PricePerTon);
        Assert.Equal(2, _wren.Requests);
    }

    [Fact]
    public async Task When_wren_was_never_reached_the_list_is_unavailable()
    {
        _wren.Down = true;
        await Assert.ThrowsAsync<PriceListUnavailableException>(() => _prices.GetAsync(CancellationToken.None));

        _wren.Down = false;
        Assert.NotEmpty(await _prices.GetAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Garbage_from_wren_counts_as_unreachable()
    {
        _wren.Body = "<html>maintenance</html>";
        await Assert.ThrowsAsync<PriceListUnavailableException>(() => _prices.GetAsync(CancellationToken.None));
    }
}
