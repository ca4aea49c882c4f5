using System.Text;
using Microsoft.Data.Sqlite;
using Stripe;

// The floor: the least a durable webhook endpoint can do. Verify Stripe's signature on the raw body and
// commit one row to SQLite (WAL, synchronous=FULL, as the Api), one transaction per request, one writer
// at a time. Whatever the Api spends above this is our code, not the disk.
// Variables: ASPNETCORE_URLS, FLOOR_DATABASE_PATH, STRIPE_WEBHOOK_SECRET.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var secret = app.Configuration["STRIPE_WEBHOOK_SECRET"] ?? throw new InvalidOperationException("STRIPE_WEBHOOK_SECRET is required");
var connectionString = $"Data Source={app.Configuration["FLOOR_DATABASE_PATH"] ?? throw new InvalidOperationException("FLOOR_DATABASE_PATH is required")}";
await using (var setup = new SqliteConnection(connectionString))
{
    await setup.OpenAsync();
    await using var command = setup.CreateCommand();
    command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, body BLOB NOT NULL);";
    await command.ExecuteNonQueryAsync();
}

// SQLite has one writer; queueing here rather than in its busy handler keeps waits to the work itself.
var writer = new SemaphoreSlim(1, 1);
app.MapPost("/webhook", async (HttpContext context) =>
{
    using var buffer = new MemoryStream();
    await context.Request.Body.CopyToAsync(buffer);
    var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    try
    {
        EventUtility.ValidateSignature(body, context.Request.Headers["Stripe-Signature"].ToString(), secret, 300);
    }
    catch (StripeException)
    {
        return Results.BadRequest();
    }

    await writer.WaitAsync();
    try
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=FULL;";
            await pragma.ExecuteNonQueryAsync();
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO events (received_at, body) VALUES ($at, $body);";
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToString("O"));
        command.Parameters.AddWithValue("$body", buffer.ToArray());
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }
    finally
    {
        writer.Release();
    }

    return Results.Ok();
});

app.Run();
