using PuffinOffset.WrenSandbox;

// A local stand-in for wren.co: the offset-order API on the wire, plus failure injection (/sandbox/*).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddWrenSandbox(builder.Configuration);

var app = builder.Build();
app.MapWrenSandbox();
app.Run();

/// <summary>Marker for WebApplicationFactory.</summary>
public sealed class WrenSandboxEntryPoint;
