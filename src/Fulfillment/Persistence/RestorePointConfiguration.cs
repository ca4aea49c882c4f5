using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Fulfillment.Restore;

namespace PuffinOffset.Fulfillment.Persistence;

public sealed class RestorePointConfiguration : IEntityTypeConfiguration<RestorePoint>
{
    public void Configure(EntityTypeBuilder<RestorePoint> restorePoint)
    {
        restorePoint.ToTable("restore_points");
        restorePoint.HasKey(r => r.Id);
    }
}
