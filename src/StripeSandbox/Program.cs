using PuffinOffset.StripeSandbox;

// A local stand-in for api.stripe.com: point the Api's STRIPE_API_BASE here.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddStripeSandbox();

var app = builder.Build();
app.MapStripeSandbox();
app.Run();
