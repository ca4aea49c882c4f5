using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Messaging.Persistence;

/// <summary>
/// Base of each service's DbContext: adds the outbox and inbox tables next to the service's own, so
/// that business rows, outgoing messages and inbox records share one SQLite transaction.
/// </summary>
public abstract class MessagingDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<InboxMessage> InboxMessages => Set<InboxMessage>();

    /// <summary>Set when outbox rows were saved but the dispatcher has not been woken yet.</summary>
    internal bool HasUnsignaledOutboxRows { get; set; }

    /// <summary>Outbox rows this context's transaction is withdrawing: kept from the dispatcher until it ends.</summary>
    private (OutboxClaims Claims, List<long> Sequences)? _withdrawing;

    internal void HoldWithdrawalReservations(OutboxClaims claims, List<long> sequences)
    {
        if (_withdrawing is { } held)
        {
            held.Sequences.AddRange(sequences);
            return;
        }

        _withdrawing = (claims, sequences);
    }

    internal void EndWithdrawalReservations()
    {
        if (_withdrawing is { } held)
        {
            _withdrawing = null;
            held.Claims.EndReservation(held.Sequences);
        }
    }

    /// <summary>A transaction abandoned without commit or rollback (an exception) still gives its rows back.</summary>
    public override void Dispose()
    {
        EndWithdrawalReservations();
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        EndWithdrawalReservations();
        return base.DisposeAsync();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_messages");
            outbox.HasKey(m => m.Sequence);
            outbox.Property(m => m.Sequence).ValueGeneratedOnAdd();
            outbox.HasIndex(m => m.MessageId).IsUnique();
            outbox.Property(m => m.MessageType).HasMaxLength(200);
            outbox.Property(m => m.TraceParent).HasMaxLength(55);
            outbox.Property(m => m.LastError).HasMaxLength(OutboxMessage.MaxErrorLength);
            // The dispatcher's query: undelivered, unparked rows in sequence order.
            outbox.HasIndex(m => new { m.DispatchedAt, m.ParkedAt, m.Sequence });
        });

        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable("inbox_messages");
            inbox.HasKey(m => new { m.MessageId, m.Consumer });
            inbox.Property(m => m.Consumer).HasMaxLength(200);
        });
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no DateTimeOffset type; EF Core cannot compare or order it as text. Stored as UTC
        // DateTime text ("2026-11-27 20:42:17.1234567"), which sorts and compares correctly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcDateTimeOffsetConverter>();
    }
}
