using PuffinOffset.StripeSandbox;

// A local stand-in for api.stripe.com and its hosted checkout: point the Api's STRIPE_API_BASE here.
var builder = WebApplication.CreateBuilder(args);
if (SandboxGuard.ProductionRefusal(builder.Environment, "Stripe") is { } refusal)
{
    await Console.Error.WriteLineAsync(refusal);
    return 1;
}

builder.AddServiceDefaults();
builder.Services.AddStripeSandbox();

var app = builder.Build();
app.MapStripeSandbox();
app.MapDefaultEndpoints();
return await app.RunServiceAsync();
