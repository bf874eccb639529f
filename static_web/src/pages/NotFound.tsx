import { Link } from "react-router";
import { EmptyState } from "../components/ui";

export default function NotFound() {
  return (
    <EmptyState title="This page does not exist">
      <Link to="/" className="text-accent-text underline">
        Back to the dashboard
      </Link>
    </EmptyState>
  );
}
