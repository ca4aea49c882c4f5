using PuffinOffset.WrenSandbox;

// A local stand-in for wren.co: the offset-order API on the wire, plus failure injection (/sandbox/*).
var builder = WebApplication.CreateBuilder(args);
if (SandboxGuard.ProductionRefusal(builder.Environment, "Wren") is { } refusal)
{
    await Console.Error.WriteLineAsync(refusal);
    return 1;
}

builder.AddServiceDefaults();
builder.Services.AddWrenSandbox(builder.Configuration);

var app = builder.Build();
app.MapWrenSandbox();
app.MapDefaultEndpoints();
return await app.RunServiceAsync();
