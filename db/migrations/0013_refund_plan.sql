-- The refund of a cancellation split over the order's charges, planned before the first refund is asked.
-- (Written by hand: the generated file also recreated what the merged branches' migrations 0008–0012 already create;
-- its snapshot, 0013_snapshot.json, is the full schema again, so the next `npm run db:generate` diffs correctly.)
ALTER TABLE "cancellation_quotes" ADD COLUMN "refund_plan" jsonb;
