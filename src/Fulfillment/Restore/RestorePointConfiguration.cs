using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace PuffinOffset.Fulfillment.Restore;

public sealed class RestorePointConfiguration : IEntityTypeConfiguration<RestorePoint>
{
    public void Configure(EntityTypeBuilder<RestorePoint> restorePoint)
    {
        restorePoint.ToTable("restore_points");
        restorePoint.HasKey(r => r.Id);
    }
}
