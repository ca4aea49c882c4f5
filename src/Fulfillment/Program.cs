using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFulfillmentServices();

var app = builder.Build();
app.UseFulfillment();

return await app.RunServiceAsync(host => host.MigrateDatabaseAsync<FulfillmentDbContext>());

/// <summary>Marker for WebApplicationFactory (test projects may also reference the Api's Program).</summary>
public sealed class FulfillmentEntryPoint;
