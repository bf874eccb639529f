import { lazy, Suspense } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { useAuth } from "./auth/AuthProvider";
import { Layout } from "./components/Layout";
import { LoadingState } from "./components/ui";
import { LiveProvider } from "./live/LiveProvider";
import { AfterSignIn, SignIn } from "./pages/SignIn";

// Every page is its own chunk: the first load carries only the shell and the page it lands on.
const Dashboard = lazy(() => import("./pages/Dashboard"));
const Calls = lazy(() => import("./pages/Calls"));
const CallDetail = lazy(() => import("./pages/CallDetail"));
const Customers = lazy(() => import("./pages/Customers"));
const CustomerDetail = lazy(() => import("./pages/CustomerDetail"));
const CustomerImport = lazy(() => import("./pages/CustomerImport"));
const Campaigns = lazy(() => import("./pages/Campaigns"));
const CampaignNew = lazy(() => import("./pages/CampaignNew"));
const CampaignDetail = lazy(() => import("./pages/CampaignDetail"));
const Tactics = lazy(() => import("./pages/Tactics"));
const TacticEditor = lazy(() => import("./pages/TacticEditor"));
const Prompts = lazy(() => import("./pages/Prompts"));
const PromptEditor = lazy(() => import("./pages/PromptEditor"));
const Policy = lazy(() => import("./pages/Policy"));
const TestCall = lazy(() => import("./pages/TestCall"));
const Settings = lazy(() => import("./pages/Settings"));
const NotFound = lazy(() => import("./pages/NotFound"));

export function App() {
  const { apiKey } = useAuth();
  const location = useLocation();
  if (!apiKey) {
    if (location.pathname !== "/sign-in") {
      const next = location.pathname + location.search;
      return <Navigate to={`/sign-in${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
    }
    return <SignIn />;
  }
  return (
    <LiveProvider apiKey={apiKey}>
      <Layout>
        <Suspense fallback={<LoadingState />}>
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/sign-in" element={<AfterSignIn />} />
            <Route path="/calls" element={<Calls />} />
            <Route path="/calls/:callId" element={<CallDetail />} />
            <Route path="/customers" element={<Customers />} />
            <Route path="/customers/import" element={<CustomerImport />} />
            <Route path="/customers/:customerId" element={<CustomerDetail />} />
            <Route path="/campaigns" element={<Campaigns />} />
            <Route path="/campaigns/new" element={<CampaignNew />} />
            <Route path="/campaigns/:campaignId" element={<CampaignDetail />} />
            <Route path="/tactics" element={<Tactics />} />
            <Route path="/tactics/new" element={<TacticEditor />} />
            <Route path="/tactics/:name" element={<TacticEditor />} />
            <Route path="/prompts" element={<Prompts />} />
            <Route path="/prompts/new" element={<PromptEditor />} />
            <Route path="/prompts/:name" element={<PromptEditor />} />
            <Route path="/policy" element={<Policy />} />
            <Route path="/test-call" element={<TestCall />} />
            <Route path="/settings" element={<Settings />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Layout>
    </LiveProvider>
  );
}

