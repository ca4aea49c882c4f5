namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>A <see cref="FulfillmentScenario"/> with a fake Api to ask about refunds (<see cref="FakeRefundApi"/>), per test.</summary>
public abstract class RefundApiScenario : FulfillmentScenario
{
    protected FakeRefundApi RefundApi { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        RefundApi = await FakeRefundApi.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await RefundApi.DisposeAsync();
        await base.DisposeAsync();
    }
}
